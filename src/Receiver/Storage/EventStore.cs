using System.Data;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Storage;

/// <summary>The ingest path's writes, in plain Npgsql: one statement each, so nothing is ever half-written.</summary>
internal sealed class EventStore(NpgsqlDataSource dataSource, ResilientDatabase database)
{
    /// <summary>
    /// Stores a batch of events in one transaction: each unless its id is already stored, each applying what it says
    /// to the state of its subject, so a 200 means the state is visible. The sequence lock is paid once for the whole
    /// batch, and so is each statement: one set-based statement per kind of subject, whatever the number of events.
    /// Ids must be distinct within a batch (EventWriter sees to it). Answers, per event, its sequence number when this
    /// call stored it.
    /// </summary>
    public Task<long?[]> InsertBatchAsync(IReadOnlyList<EventRow> rows, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                // One round trip, one implicit transaction: the lock orders sequence numbers by commit (see SequenceLock).
                await using var batch = new NpgsqlBatch(connection);
                foreach (var command in BatchCommands(rows)) batch.BatchCommands.Add(command);

                var positions = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
                for (var i = 0; i < rows.Count; i++) positions.Add(rows[i].Id, i);
                var stored = new long?[rows.Count];
                await using var reader = await batch.ExecuteReaderAsync(ct);
                // After the lock's result, one result per insert statement.
                for (var i = 1; i < batch.BatchCommands.Count; i++)
                {
                    await reader.NextResultAsync(ct);
                    while (await reader.ReadAsync(ct)) stored[positions[reader.GetString(1)]] = reader.GetInt64(0);
                }
                return stored;
            }
            catch (PostgresException)
            {
                // When PostgreSQL refuses a batch in which Npgsql was auto-preparing statements, Npgsql may keep them
                // as prepared although the server skipped them (npgsql/npgsql#6391): the next batch on this pooled
                // connection then reads the wrong messages ("Received unexpected backend message DataRow", or another
                // statement's result). Forget every prepared statement before the connection goes back to the pool;
                // an error that ended the session (the server shutting down: 57P01) leaves nothing to forget.
                if (connection.State == ConnectionState.Open) connection.UnprepareAll();
                throw;
            }
        }, cancellationToken);

    /// <summary>
    /// Taken by every transaction that stores events, before it draws sequence numbers, and held to its commit:
    /// commits then happen in sequence order, so a reader that sees event n has already been able to see n-1.
    /// </summary>
    private const long SequenceLock = 0x5EC_0E7E27;
    private const string TakeSequenceLock = "SELECT pg_advisory_xact_lock($1)";

    /// <summary>The statements that store <paramref name="rows"/>: the sequence lock, then one per kind of subject.</summary>
    internal static IEnumerable<NpgsqlBatchCommand> BatchCommands(IReadOnlyList<EventRow> rows) =>
        InsertCommands(rows).Prepend(new NpgsqlBatchCommand(TakeSequenceLock) { Parameters = { Value(SequenceLock) } });

    // Each statement takes one array per column (element i of every array is event i) and returns (seq, id) per
    // event it stored. The text arrays of a transaction (assets, accounts, customer ids) differ in length from event
    // to event, which a PostgreSQL array of arrays cannot hold, so each travels as a JSON array.
    private static IEnumerable<NpgsqlBatchCommand> InsertCommands(IReadOnlyList<EventRow> rows)
    {
        var transactions = rows.Where(row => row.Subject is TransactionFacts).ToList();
        if (transactions.Count > 0)
        {
            var facts = transactions.Select(row => (TransactionFacts)row.Subject).ToList();
            yield return new NpgsqlBatchCommand(InsertTransactionEvents)
            {
                Parameters =
                {
                    Texts(transactions, row => row.Id), Texts(transactions, row => row.Type), Texts(facts, t => t.Id),
                    Texts(facts, t => t.Sep), Texts(facts, t => t.Kind), Texts(facts, t => t.Status),
                    Instants(facts, t => t.UpdatedAt), Instants(facts, t => t.OrderKey),
                    Json(facts, t => JsonSerializer.Serialize(t.Assets, StorageJsonContext.Default.StringArray)),
                    Json(facts, t => JsonSerializer.Serialize(t.Accounts, StorageJsonContext.Default.StringArray)),
                    Json(facts, t => JsonSerializer.Serialize(t.CustomerIds, StorageJsonContext.Default.StringArray)),
                    Instants(transactions, row => row.EventTimestamp), Bodies(transactions),
                    Instants(transactions, row => row.ReceivedAt), Instants(facts, t => t.StartedAt), Json(facts, t => t.Snapshot),
                    Texts(transactions, row => row.Source),
                },
            };
        }

        var quotes = rows.Where(row => row.Subject is QuoteFacts).ToList();
        if (quotes.Count > 0)
        {
            var facts = quotes.Select(row => (QuoteFacts)row.Subject).ToList();
            yield return new NpgsqlBatchCommand(InsertQuoteEvents)
            {
                Parameters =
                {
                    Texts(quotes, row => row.Id), Texts(quotes, row => row.Type), Texts(facts, q => q.Id),
                    Instants(quotes, row => row.EventTimestamp), Bodies(quotes), Instants(quotes, row => row.ReceivedAt),
                    Texts(facts, q => q.SellAsset), Texts(facts, q => q.BuyAsset), Instants(facts, q => q.CreatedAt),
                    Instants(facts, q => q.ExpiresAt), Json(facts, q => q.Snapshot), Texts(quotes, row => row.Source),
                },
            };
        }

        var customers = rows.Where(row => row.Subject is CustomerFacts).ToList();
        if (customers.Count > 0)
        {
            yield return new NpgsqlBatchCommand(InsertCustomerEvents)
            {
                Parameters =
                {
                    Texts(customers, row => row.Id), Texts(customers, row => row.Type), Texts(customers, row => row.Subject.Id),
                    Instants(customers, row => row.EventTimestamp), Bodies(customers), Instants(customers, row => row.ReceivedAt),
                    Texts(customers, row => row.Source),
                },
            };
        }
    }

    // A later snapshot replaces the state only when it is newer: greater order key, or equal and received later
    // (a greater sequence number). Within the batch, the newest event of each transaction is the one applied.
    private const string InsertTransactionEvents =
        """
        WITH batch AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::jsonb[], $11::jsonb[],
                                 $12::timestamptz[], $13::bytea[], $14::timestamptz[], $15::timestamptz[], $16::jsonb[], $17::text[])
                AS b(id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts, customer_ids,
                     event_timestamp, body, received_at, started_at, snapshot, source)
        ), inserted AS (
            INSERT INTO events (id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts,
                                customer_ids, event_timestamp, body, received_at, source)
            SELECT id, type, transaction_id, sep, kind, status, updated_at, order_key,
                   ARRAY(SELECT jsonb_array_elements_text(assets)), ARRAY(SELECT jsonb_array_elements_text(accounts)),
                   ARRAY(SELECT jsonb_array_elements_text(customer_ids)), event_timestamp, body, received_at, source
            FROM batch
            ON CONFLICT (id) DO NOTHING
            RETURNING seq, id
        ), stored AS (
            SELECT b.*, inserted.seq FROM inserted JOIN batch b USING (id)
        ), state AS (
            INSERT INTO transactions AS t (id, sep, kind, status, started_at, updated_at, order_key, head_seq, head_event_id,
                                           snapshot, assets, accounts, customer_ids, changed_at)
            SELECT DISTINCT ON (transaction_id)
                   transaction_id, sep, kind, status, started_at, updated_at, order_key, seq, id, snapshot,
                   ARRAY(SELECT jsonb_array_elements_text(assets)), ARRAY(SELECT jsonb_array_elements_text(accounts)),
                   ARRAY(SELECT jsonb_array_elements_text(customer_ids)), received_at
            FROM stored
            ORDER BY transaction_id, order_key DESC, seq DESC
            ON CONFLICT (id) DO UPDATE SET
                sep = excluded.sep, kind = excluded.kind, status = excluded.status, started_at = excluded.started_at,
                updated_at = excluded.updated_at, order_key = excluded.order_key, head_seq = excluded.head_seq,
                head_event_id = excluded.head_event_id, snapshot = excluded.snapshot, assets = excluded.assets,
                accounts = excluded.accounts, customer_ids = excluded.customer_ids, changed_at = excluded.changed_at
            WHERE (excluded.order_key, excluded.head_seq) > (t.order_key, t.head_seq)
        ), named AS (
            INSERT INTO customers (id, first_seen_at)
            SELECT customer, min(received_at) FROM stored, jsonb_array_elements_text(customer_ids) AS customer
            GROUP BY customer
            ON CONFLICT (id) DO NOTHING
        )
        SELECT seq, id FROM inserted
        """;

    // The first quote_created of a quote is its state. A quote without a key (EventFactsReader.Key) has none.
    private const string InsertQuoteEvents =
        """
        WITH batch AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[], $6::timestamptz[],
                                 $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::jsonb[], $12::text[])
                AS b(id, type, quote_id, event_timestamp, body, received_at, sell_asset, buy_asset, created_at, expires_at, snapshot, source)
        ), inserted AS (
            INSERT INTO events (id, type, quote_id, event_timestamp, body, received_at, source)
            SELECT id, type, quote_id, event_timestamp, body, received_at, source FROM batch
            ON CONFLICT (id) DO NOTHING
            RETURNING seq, id
        ), quote AS (
            INSERT INTO quotes (id, sell_asset, buy_asset, created_at, expires_at, order_key, snapshot, event_id, seq, received_at)
            SELECT DISTINCT ON (quote_id)
                   quote_id, sell_asset, buy_asset, created_at, expires_at, coalesce(created_at, received_at), snapshot, id, seq, received_at
            FROM inserted JOIN batch USING (id)
            WHERE quote_id IS NOT NULL
            ORDER BY quote_id, seq
            ON CONFLICT (id) DO NOTHING
        )
        SELECT seq, id FROM inserted
        """;

    private const string InsertCustomerEvents =
        """
        WITH batch AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[], $6::timestamptz[], $7::text[])
                AS b(id, type, customer_id, event_timestamp, body, received_at, source)
        ), inserted AS (
            INSERT INTO events (id, type, customer_id, event_timestamp, body, received_at, source)
            SELECT id, type, customer_id, event_timestamp, body, received_at, source FROM batch
            ON CONFLICT (id) DO NOTHING
            RETURNING seq, id
        ), customer AS (
            INSERT INTO customers AS c (id, first_seen_at, last_updated_at, update_count)
            SELECT customer_id, min(received_at), max(received_at), count(*)
            FROM inserted JOIN batch USING (id)
            WHERE customer_id IS NOT NULL
            GROUP BY customer_id
            ON CONFLICT (id) DO UPDATE SET
                last_updated_at = greatest(c.last_updated_at, excluded.last_updated_at),
                update_count = c.update_count + excluded.update_count
        )
        SELECT seq, id FROM inserted
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

    private static NpgsqlParameter Texts<T>(List<T> items, Func<T, string?> column) =>
        Value(items.Select(column).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);

    private static NpgsqlParameter Instants<T>(List<T> items, Func<T, DateTimeOffset?> column) =>
        Value(items.Select(column).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);

    private static NpgsqlParameter Json<T>(List<T> items, Func<T, string> column) =>
        Value(items.Select(column).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Jsonb);

    private static NpgsqlParameter Bodies(List<EventRow> rows) =>
        Value(rows.Select(row => row.Body).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bytea);

    private static NpgsqlParameter Text(string? value) => Value((object?)value ?? DBNull.Value, NpgsqlDbType.Text);

}
