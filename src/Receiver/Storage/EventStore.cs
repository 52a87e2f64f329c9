using Npgsql;
using NpgsqlTypes;
using Receiver.Ingest;

namespace Receiver.Storage;

/// <summary>The ingest path's writes, in plain Npgsql: one statement each, so nothing is ever half-written.</summary>
internal sealed class EventStore(NpgsqlDataSource dataSource, ResilientDatabase database)
{
    /// <summary>
    /// Stores a batch of events in one transaction: each unless its id is already stored, each applying what it says
    /// to the state of its subject, so a 200 means the state is visible. The sequence lock and the feed's wake-up
    /// (NOTIFY) are paid once for the whole batch. Answers, per event, its sequence number when this call stored it.
    /// </summary>
    public Task<long?[]> InsertBatchAsync(IReadOnlyList<EventRow> rows, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                // One round trip, one implicit transaction: the lock orders sequence numbers by commit (see SequenceLock).
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand(TakeSequenceLock) { Parameters = { Value(SequenceLock) } });
                foreach (var row in rows) batch.BatchCommands.Add(InsertCommand(row));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(NotifyFeed));
                await using var reader = await batch.ExecuteReaderAsync(ct);
                var stored = new long?[rows.Count];
                for (var i = 0; i < rows.Count; i++)
                {
                    await reader.NextResultAsync(ct);
                    if (await reader.ReadAsync(ct)) stored[i] = reader.GetInt64(0);
                }
                return stored;
            }
            catch (PostgresException)
            {
                // When PostgreSQL refuses a batch in which Npgsql was auto-preparing statements, Npgsql may keep them
                // as prepared although the server skipped them (npgsql/npgsql#6391): the next batch on this pooled
                // connection then reads the wrong messages ("Received unexpected backend message DataRow", or another
                // statement's result). Forget every prepared statement before the connection goes back to the pool.
                connection.UnprepareAll();
                throw;
            }
        }, cancellationToken);

    /// <summary>The channel on which every commit of events announces the newest sequence number (see FeedNotifier).</summary>
    public const string FeedChannel = "receiver_events";

    // Sent on commit; listeners on every instance wake their long-polls and streams.
    private const string NotifyFeed = $"SELECT pg_notify('{FeedChannel}', coalesce(max(seq), 0)::text) FROM events";

    /// <summary>
    /// Taken by every transaction that stores events, before it draws sequence numbers, and held to its commit:
    /// commits then happen in sequence order, so a reader that sees event n has already been able to see n-1.
    /// </summary>
    private const long SequenceLock = 0x5EC_0E7E27;
    private const string TakeSequenceLock = "SELECT pg_advisory_xact_lock($1)";

    private static NpgsqlBatchCommand InsertCommand(EventRow row) => row.Subject switch
    {
        TransactionFacts t => new NpgsqlBatchCommand(InsertTransactionEvent)
        {
            Parameters =
            {
                Value(row.Id), Value(row.Type), Value(t.Id), Value(t.Sep), Value(t.Kind), Value(t.Status),
                Nullable(t.UpdatedAt), Value(t.OrderKey), Value(t.Assets), Value(t.Accounts), Value(t.CustomerIds),
                Value(row.EventTimestamp), Value(row.Body, NpgsqlDbType.Bytea), Value(row.ReceivedAt),
                Value(t.StartedAt), Value(t.Snapshot, NpgsqlDbType.Jsonb),
            },
        },
        QuoteFacts q => new NpgsqlBatchCommand(InsertQuoteEvent)
        {
            Parameters =
            {
                Value(row.Id), Value(row.Type), Value(q.Id), Value(row.EventTimestamp), Value(row.Body, NpgsqlDbType.Bytea),
                Value(row.ReceivedAt), Text(q.SellAsset), Text(q.BuyAsset), Nullable(q.CreatedAt), Nullable(q.ExpiresAt),
                Value(q.Snapshot, NpgsqlDbType.Jsonb),
            },
        },
        CustomerFacts c => new NpgsqlBatchCommand(InsertCustomerEvent)
        {
            Parameters =
            {
                Value(row.Id), Value(row.Type), Value(c.Id), Value(row.EventTimestamp), Value(row.Body, NpgsqlDbType.Bytea),
                Value(row.ReceivedAt),
            },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(row), row.Subject, "unknown subject"),
    };

    // A later snapshot replaces the state only when it is newer: greater order key, or equal and received later.
    private const string InsertTransactionEvent =
        """
        WITH inserted AS (
            INSERT INTO events (id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts,
                                customer_ids, event_timestamp, body, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (id) DO NOTHING
            RETURNING seq
        ), state AS (
            INSERT INTO transactions AS t (id, sep, kind, status, started_at, updated_at, order_key, head_seq, head_event_id,
                                           snapshot, assets, accounts, customer_ids, changed_at)
            SELECT $3, $4, $5, $6, $15, $7, $8, seq, $1, $16, $9, $10, $11, $14 FROM inserted
            ON CONFLICT (id) DO UPDATE SET
                sep = excluded.sep, kind = excluded.kind, status = excluded.status, started_at = excluded.started_at,
                updated_at = excluded.updated_at, order_key = excluded.order_key, head_seq = excluded.head_seq,
                head_event_id = excluded.head_event_id, snapshot = excluded.snapshot, assets = excluded.assets,
                accounts = excluded.accounts, customer_ids = excluded.customer_ids, changed_at = excluded.changed_at
            WHERE (excluded.order_key, excluded.head_seq) > (t.order_key, t.head_seq)
        ), named AS (
            INSERT INTO customers (id, first_seen_at)
            SELECT customer, $14 FROM inserted, unnest($11::text[]) AS customer
            ON CONFLICT (id) DO NOTHING
        )
        SELECT seq FROM inserted
        """;

    private const string InsertQuoteEvent =
        """
        WITH inserted AS (
            INSERT INTO events (id, type, quote_id, event_timestamp, body, received_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO NOTHING
            RETURNING seq
        ), quote AS (
            INSERT INTO quotes (id, sell_asset, buy_asset, created_at, expires_at, order_key, snapshot, event_id, seq, received_at)
            SELECT $3, $7, $8, $9, $10, coalesce($9, $6), $11, $1, seq, $6 FROM inserted
            ON CONFLICT (id) DO NOTHING
        )
        SELECT seq FROM inserted
        """;

    private const string InsertCustomerEvent =
        """
        WITH inserted AS (
            INSERT INTO events (id, type, customer_id, event_timestamp, body, received_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO NOTHING
            RETURNING seq
        ), customer AS (
            INSERT INTO customers AS c (id, first_seen_at, last_updated_at, update_count)
            SELECT $3, $6, $6, 1 FROM inserted
            ON CONFLICT (id) DO UPDATE SET
                last_updated_at = greatest(c.last_updated_at, excluded.last_updated_at),
                update_count = c.update_count + 1
        )
        SELECT seq FROM inserted
        """;

    public Task<byte[]?> FindBodyAsync(string eventId, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", [Value(eventId)], cancellationToken);

    /// <summary>Keeps a rejected body; a repeat of the same rejection (AP retrying) only counts an attempt.</summary>
    public Task RecordRejectedAsync(RejectedRow row, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            INSERT INTO rejected_events (event_id, event_type, reason, errors, body, fingerprint, first_received_at, last_received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            ON CONFLICT (event_id, reason, fingerprint) DO UPDATE
            SET attempts = rejected_events.attempts + 1,
                errors = excluded.errors,
                last_received_at = excluded.last_received_at
            """,
            [
                Text(row.EventId), Text(row.EventType), Value(row.Reason), Value(row.ErrorsJson, NpgsqlDbType.Jsonb),
                Value(row.Body, NpgsqlDbType.Bytea), Value(row.Fingerprint), Value(row.ReceivedAt),
            ],
            cancellationToken);

    private static NpgsqlParameter Text(string? value) => Value((object?)value ?? DBNull.Value, NpgsqlDbType.Text);

    private static NpgsqlParameter Nullable(DateTimeOffset? value) =>
        Value((object?)value ?? DBNull.Value, NpgsqlDbType.TimestampTz);

    private static NpgsqlParameter Value(object value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter { Value = value };
        if (type is { } dbType) parameter.NpgsqlDbType = dbType;
        return parameter;
    }
}

internal readonly record struct EventRow(
    string Id, string Type, SubjectFacts Subject, DateTimeOffset EventTimestamp, ArraySegment<byte> Body, DateTimeOffset ReceivedAt);

internal readonly record struct RejectedRow(
    string? EventId, string? EventType, string Reason, string ErrorsJson,
    ArraySegment<byte> Body, byte[] Fingerprint, DateTimeOffset ReceivedAt);
