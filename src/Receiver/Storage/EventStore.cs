using System.Data;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Storage;

using TransactionEvent = (EventRow Event, TransactionFacts Facts);
using QuoteEvent = (EventRow Event, QuoteFacts Facts);

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
    public Task<long?[]> InsertBatchAsync(IReadOnlyList<EventRow> rows, CancellationToken cancellationToken)
    {
        // What a try whose commit the standby did not confirm stored: the next try finds those ids stored, and they are
        // still this call's (answered as stored, announced to the feed), not redeliveries.
        long?[]? unconfirmed = null;
        return database.RunAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var standbyWaitCancelled = false;
            connection.Notice += (_, e) => standbyWaitCancelled |= IsCancelledStandbyWait(e.Notice);
            try
            {
                // One round trip, one implicit transaction: the lock orders sequence numbers by commit (see SequenceLock).
                await using var batch = new NpgsqlBatch(connection);
                foreach (var command in BatchCommands(rows)) batch.BatchCommands.Add(command);

                var positions = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
                for (var i = 0; i < rows.Count; i++) positions.Add(rows[i].Id, i);
                var stored = new long?[rows.Count];
                // The commit happens when the reader has read the batch to its end, at its disposal.
                await using (var reader = await batch.ExecuteReaderAsync(ct))
                {
                    // After the lock's result, one result per insert statement, then the WAL record's.
                    for (var i = 1; i < batch.BatchCommands.Count - 1; i++)
                    {
                        await reader.NextResultAsync(ct);
                        while (await reader.ReadAsync(ct)) stored[positions[reader.GetString(1)]] = reader.GetInt64(0);
                    }
                    await reader.NextResultAsync(ct);
                }
                if (unconfirmed is not null)
                    for (var i = 0; i < stored.Length; i++) stored[i] ??= unconfirmed[i];
                if (standbyWaitCancelled)
                {
                    unconfirmed = stored;
                    throw new UnreplicatedCommitException();
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
    }

    /// <summary>
    /// How PostgreSQL tells that a commit's wait for a synchronous standby was cancelled: the commit stands on the
    /// primary alone, and the batch still succeeds, with this WARNING (no code of its own: 01000, "canceling wait for
    /// synchronous replication"). Any cancel does it: one Npgsql sent for an earlier statement of the pooled connection
    /// that arrives late, pg_cancel_backend, Npgsql's own at Database:Timeout (which ResilientDatabase answers as too
    /// slow anyway). Nothing else in the batch raises a WARNING, and one taken for this by mistake costs AP a retry,
    /// never an event. The batch sets client_min_messages so that a role told to hear errors only still hears it.
    /// </summary>
    private static bool IsCancelledStandbyWait(PostgresNotice notice) =>
        notice.SqlState == "01000" && notice.InvariantSeverity == "WARNING";

    /// <summary>
    /// Taken by every transaction that stores events, before it draws sequence numbers, and held to its commit:
    /// commits then happen in sequence order, so a reader that sees event n has already been able to see n-1.
    /// </summary>
    private const long SequenceLock = 0x5EC_0E7E27;

    /// <summary>
    /// The sequence lock, and the inserts' plan made once. On a connection whose first batches held one event each (as
    /// AP sends), PostgreSQL planned each insert anew at every execution: it found the plan made without the values,
    /// estimated for 100 rows per array (unnest's estimate), dearer than the plans made with them for one row, and
    /// kept making those (140 µs a batch, as long as its execution; docs/performance.md). The plan is the same
    /// whatever the values: insert each row, look up each key. And the warnings the commit may raise are heard
    /// (IsCancelledStandbyWait). Both local to the batch's one transaction: the pooled connection keeps nothing of them.
    /// </summary>
    private const string TakeSequenceLock =
        "SELECT pg_advisory_xact_lock($1), set_config('plan_cache_mode', 'force_generic_plan', true), " +
        "set_config('client_min_messages', 'warning', true)";

    /// <summary>
    /// A record written to the WAL, last in every batch, even one that stores nothing (every id already stored):
    /// PostgreSQL makes a commit wait for a synchronous standby only when the transaction wrote to the WAL, so without it
    /// a batch of redeliveries would commit at once. A redelivery is answered 200 after that commit only, and a standby
    /// that has it has every commit before it, the first delivery's among them. That matters when Receiver gave up
    /// waiting for the standby (Database:Timeout): the first delivery's commit then stands on the primary alone, and
    /// AP's retry, answered 200 at once, would be lost with the primary. The message (transactional, prefix
    /// <c>receiver</c>, empty) is all it writes; any role may send one unless it was revoked (checked at start:
    /// StorageSetup), and nothing reads it unless logical decoding does.
    /// Last, so that a batch sent to a standby fails on its first insert (25006, read-only, which ResilientDatabase
    /// retries through a failover) rather than here (XX000: no transaction id during recovery).
    /// </summary>
    internal const string WriteToWal = "SELECT pg_logical_emit_message(true, 'receiver', '')";

    /// <summary>
    /// The statements that store <paramref name="rows"/>: the sequence lock, one per kind of subject, the WAL record.
    /// </summary>
    internal static IEnumerable<NpgsqlBatchCommand> BatchCommands(IReadOnlyList<EventRow> rows) =>
        InsertCommands(rows)
            .Prepend(new NpgsqlBatchCommand(TakeSequenceLock) { Parameters = { Value(SequenceLock) } })
            .Append(new NpgsqlBatchCommand(WriteToWal));

    // Each statement takes one array per column (element i of every array is event i), declared once in its column
    // list, and returns (seq, id) per event it stored. A column list is declared before the statement built from it:
    // static fields are initialized in the order they are written.
    private static IEnumerable<NpgsqlBatchCommand> InsertCommands(IReadOnlyList<EventRow> rows)
    {
        // Most batches are transaction events only: one array of the batch's size, never grown.
        var transactions = new List<TransactionEvent>(rows.Count);
        var quotes = new List<QuoteEvent>();
        var customers = new List<EventRow>();
        foreach (var row in rows)
        {
            switch (row.Subject)
            {
                case TransactionFacts transaction: transactions.Add((row, transaction)); break;
                case QuoteFacts quote: quotes.Add((row, quote)); break;
                case CustomerFacts: customers.Add(row); break;
            }
        }

        if (transactions.Count > 0) yield return TransactionColumns.Command(InsertTransactionEvents, transactions);
        if (quotes.Count > 0) yield return QuoteColumns.Command(InsertQuoteEvents, quotes);
        if (customers.Count > 0) yield return CustomerColumns.Command(InsertCustomerEvents, customers);
    }

    /// <summary>Each insert statement with its column list, for the test that compares the lists with the schema.</summary>
    internal static IReadOnlyList<(string Name, string Sql, IReadOnlyList<UnnestColumn> Columns)> Inserts =>
    [
        (nameof(InsertTransactionEvents), InsertTransactionEvents, TransactionColumns.Columns),
        (nameof(InsertQuoteEvents), InsertQuoteEvents, QuoteColumns.Columns),
        (nameof(InsertCustomerEvents), InsertCustomerEvents, CustomerColumns.Columns),
    ];

    // events is partitioned by month and cannot hold a unique key on the id alone: event_ids is that key. The ids of
    // the batch that it did not hold yet, each with its sequence number (drawn by event_ids' default), are the events
    // each statement stores; a redelivered id, even of an event that retention dropped, stores nothing.
    private const string NewIds =
        """
        new_ids AS (
            INSERT INTO event_ids (id, received_at) SELECT id, received_at FROM batch
            ON CONFLICT (id) DO NOTHING
            RETURNING seq, id
        )
        """;

    // A transaction event fills a row of events and, through started_at and snapshot, the transaction's state.
    private static readonly UnnestColumns<TransactionEvent> TransactionColumns =
        new UnnestColumns<TransactionEvent>("events")
            .Text("id", (in row) => row.Event.Id)
            .Text("type", (in row) => row.Event.Type)
            .Text("transaction_id", (in row) => row.Facts.Id)
            .Text("sep", (in row) => row.Facts.Sep)
            .Text("kind", (in row) => row.Facts.Kind)
            .Text("status", (in row) => row.Facts.Status)
            .Instant("updated_at", (in row) => row.Facts.UpdatedAt)
            .Instant("order_key", (in row) => row.Facts.OrderKey)
            .TextArrayAsJson("assets", (in row) => JsonArray(row.Facts.Assets))
            .TextArrayAsJson("accounts", (in row) => JsonArray(row.Facts.Accounts))
            .TextArrayAsJson("customer_ids", (in row) => JsonArray(row.Facts.CustomerIds))
            .Instant("event_timestamp", (in row) => row.Event.EventTimestamp)
            .Bytea("body", (in row) => row.Event.Body)
            .Instant("received_at", (in row) => row.Event.ReceivedAt)
            .Instant("started_at", (in row) => row.Facts.StartedAt, table: "transactions")
            .Jsonb("snapshot", (in row) => row.Facts.Snapshot, table: "transactions")
            .Text("source", (in row) => row.Event.Source)
            .Text("anchor", (in row) => row.Event.Anchor);

    private static string JsonArray(string[] values) => JsonSerializer.Serialize(values, StorageJsonContext.Default.StringArray);

    // A later snapshot replaces the state only when it is newer: greater order key, or equal and received later
    // (a greater sequence number). Within the batch, the newest event of each transaction is the one applied.
    private static readonly string InsertTransactionEvents =
        $"""
        WITH batch AS (
            SELECT * FROM {TransactionColumns.Unnest}
        ), {NewIds}, inserted AS (
            INSERT INTO events (seq, id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts,
                                customer_ids, event_timestamp, body, received_at, source, anchor)
            SELECT seq, id, type, transaction_id, sep, kind, status, updated_at, order_key,
                   ARRAY(SELECT jsonb_array_elements_text(assets)), ARRAY(SELECT jsonb_array_elements_text(accounts)),
                   ARRAY(SELECT jsonb_array_elements_text(customer_ids)), event_timestamp, body, received_at, source, anchor
            FROM new_ids JOIN batch USING (id)
            RETURNING seq, id
        ), stored AS (
            SELECT b.*, inserted.seq FROM inserted JOIN batch b USING (id)
        ), state AS (
            INSERT INTO transactions AS t (anchor, id, sep, kind, status, started_at, updated_at, order_key, head_seq,
                                           head_event_id, snapshot, assets, accounts, customer_ids, changed_at)
            SELECT DISTINCT ON (anchor, transaction_id)
                   anchor, transaction_id, sep, kind, status, started_at, updated_at, order_key, seq, id, snapshot,
                   ARRAY(SELECT jsonb_array_elements_text(assets)), ARRAY(SELECT jsonb_array_elements_text(accounts)),
                   ARRAY(SELECT jsonb_array_elements_text(customer_ids)), received_at
            FROM stored
            ORDER BY anchor, transaction_id, order_key DESC, seq DESC
            ON CONFLICT (anchor, id) DO UPDATE SET
                sep = excluded.sep, kind = excluded.kind, status = excluded.status, started_at = excluded.started_at,
                updated_at = excluded.updated_at, order_key = excluded.order_key, head_seq = excluded.head_seq,
                head_event_id = excluded.head_event_id, snapshot = excluded.snapshot, assets = excluded.assets,
                accounts = excluded.accounts, customer_ids = excluded.customer_ids, changed_at = excluded.changed_at
            WHERE (excluded.order_key, excluded.head_seq) > (t.order_key, t.head_seq)
        ), named AS (
            INSERT INTO customers (anchor, id, first_seen_at)
            SELECT anchor, customer, min(received_at) FROM stored, jsonb_array_elements_text(customer_ids) AS customer
            GROUP BY anchor, customer
            ON CONFLICT (anchor, id) DO NOTHING
        )
        SELECT seq, id FROM inserted
        """;

    // A quote event fills a row of events and, from sell_asset to snapshot, the quote's state.
    private static readonly UnnestColumns<QuoteEvent> QuoteColumns =
        new UnnestColumns<QuoteEvent>("events")
            .Text("id", (in row) => row.Event.Id)
            .Text("type", (in row) => row.Event.Type)
            .Text("quote_id", (in row) => row.Facts.Id)
            .Instant("event_timestamp", (in row) => row.Event.EventTimestamp)
            .Bytea("body", (in row) => row.Event.Body)
            .Instant("received_at", (in row) => row.Event.ReceivedAt)
            .Text("sell_asset", (in row) => row.Facts.SellAsset, table: "quotes")
            .Text("buy_asset", (in row) => row.Facts.BuyAsset, table: "quotes")
            .Instant("created_at", (in row) => row.Facts.CreatedAt, table: "quotes")
            .Instant("expires_at", (in row) => row.Facts.ExpiresAt, table: "quotes")
            .Jsonb("snapshot", (in row) => row.Facts.Snapshot, table: "quotes")
            .Text("source", (in row) => row.Event.Source);

    // The first quote_created of a quote is its state. A quote without a key (EventFactsReader.Key) has none.
    private static readonly string InsertQuoteEvents =
        $"""
        WITH batch AS (
            SELECT * FROM {QuoteColumns.Unnest}
        ), {NewIds}, inserted AS (
            INSERT INTO events (seq, id, type, quote_id, event_timestamp, body, received_at, source)
            SELECT seq, id, type, quote_id, event_timestamp, body, received_at, source FROM new_ids JOIN batch USING (id)
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

    private static readonly UnnestColumns<EventRow> CustomerColumns =
        new UnnestColumns<EventRow>("events")
            .Text("id", (in row) => row.Id)
            .Text("type", (in row) => row.Type)
            .Text("customer_id", (in row) => row.Subject.Id)
            .Instant("event_timestamp", (in row) => row.EventTimestamp)
            .Bytea("body", (in row) => row.Body)
            .Instant("received_at", (in row) => row.ReceivedAt)
            .Text("source", (in row) => row.Source)
            .Text("anchor", (in row) => row.Anchor);

    private static readonly string InsertCustomerEvents =
        $"""
        WITH batch AS (
            SELECT * FROM {CustomerColumns.Unnest}
        ), {NewIds}, inserted AS (
            INSERT INTO events (seq, id, type, customer_id, event_timestamp, body, received_at, source, anchor)
            SELECT seq, id, type, customer_id, event_timestamp, body, received_at, source, anchor FROM new_ids JOIN batch USING (id)
            RETURNING seq, id
        ), customer AS (
            INSERT INTO customers AS c (anchor, id, first_seen_at, last_updated_at, update_count)
            SELECT anchor, customer_id, min(received_at), max(received_at), count(*)
            FROM inserted JOIN batch USING (id)
            WHERE customer_id IS NOT NULL
            GROUP BY anchor, customer_id
            ON CONFLICT (anchor, id) DO UPDATE SET
                last_updated_at = greatest(c.last_updated_at, excluded.last_updated_at),
                update_count = c.update_count + excluded.update_count
        )
        SELECT seq, id FROM inserted
        """;

    /// <summary>The stored body of an event id; null when the id is not stored, or its event has expired (Retention).</summary>
    public Task<byte[]?> FindBodyAsync(string eventId, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>(
            "SELECT e.body FROM event_ids i JOIN events e ON e.seq = i.seq AND e.received_at = i.received_at WHERE i.id = $1",
            [Value(eventId)], cancellationToken);

    /// <summary>
    /// Keeps a rejected body; a repeat of the same rejection (AP retrying) within the month only counts an attempt. A
    /// repeat in a later month is a row of that month: rejected_events is partitioned by month, and a month's rows
    /// expire together (Retention:RejectedEvents).
    /// </summary>
    public Task RecordRejectedAsync(RejectedRow row, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            INSERT INTO rejected_events (event_id, event_type, reason, errors, body, fingerprint, first_received_at, last_received_at, received_month)
            VALUES (@event_id, @event_type, @reason, @errors, @body, @fingerprint, @received_at, @received_at, date_trunc('month', @received_at, 'UTC'))
            ON CONFLICT (event_id, reason, fingerprint, received_month) DO UPDATE
            SET attempts = rejected_events.attempts + 1,
                errors = excluded.errors,
                last_received_at = excluded.last_received_at
            """,
            [
                Named("event_id", row.EventId, NpgsqlDbType.Text), Named("event_type", row.EventType, NpgsqlDbType.Text),
                Named("reason", row.Reason), Named("errors", row.ErrorsJson, NpgsqlDbType.Jsonb),
                Named("body", row.Body, NpgsqlDbType.Bytea), Named("fingerprint", row.Fingerprint),
                Named("received_at", row.ReceivedAt),
            ],
            cancellationToken);
}
