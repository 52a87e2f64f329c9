using System.Text;
using Npgsql;
using NpgsqlTypes;
using Receiver.Http;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Query;

internal sealed record TransactionFilter(
    string? Sep, string? Kind, string[] Statuses, string? Asset, DateTimeOffset? UpdatedAfter, DateTimeOffset? UpdatedBefore,
    string? CustomerId, string? Account);

internal sealed record QuoteFilter(string? SellAsset, string? BuyAsset, DateTimeOffset? CreatedAfter);

internal sealed record RejectedFilter(string? Reason, string? EventId);

/// <summary>A row of a list, with the sort key the next page continues after.</summary>
internal readonly record struct Listed<T>(T Item, DateTimeOffset OrderKey, string Id);

/// <summary>
/// The query API's reads, in plain SQL: the lists read the state as of one sequence number (the newest when a walk
/// began), which LINQ cannot say; stored JSON is read as UTF-8 bytes and passed through as it is (RawJson).
/// </summary>
internal sealed class QueryStore([FromKeyedServices(DatabaseWork.Read)] ResilientDatabase database)
{
    public Task<byte[]?> TransactionAsync(string id, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT convert_to(snapshot::text, 'UTF8') FROM transactions WHERE id = $1", [Value(id)], cancellationToken);

    public Task<byte[]?> QuoteAsync(string id, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT convert_to(snapshot::text, 'UTF8') FROM quotes WHERE id = $1", [Value(id)], cancellationToken);

    /// <summary>The newest sequence number every reader can see: where a new walk through a list is pinned.</summary>
    public async Task<long> LatestSequenceAsync(CancellationToken cancellationToken) =>
        await database.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events", [], cancellationToken);

    /// <summary>The events of one transaction in the order of its snapshots; empty when the transaction is unknown.</summary>
    public Task<List<TimelineEntry>> TimelineAsync(string id, CancellationToken cancellationToken) =>
        database.ListAsync(
            """
             SELECT seq, id, type, status, updated_at, event_timestamp, received_at, source
             FROM events WHERE transaction_id = $1
             ORDER BY order_key, seq
             """,
            [Value(id)],
            reader => new TimelineEntry(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7)),
            cancellationToken);

    /// <summary>
    /// One page of transactions, newest <c>updated_at</c> first, as they stood at sequence number <paramref name="asOf"/>:
    /// a transaction changed since then is shown as it was (from its events), one created since is left out. A walk
    /// pinned to one sequence number therefore returns every matching transaction exactly once, however many
    /// events arrive meanwhile.
    /// </summary>
    public Task<List<Listed<RawJson>>> TransactionsAsync(
        TransactionFilter filter, long asOf, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        var pinned = sql.Add(asOf);
        if (filter.Sep is { } sep) sql.Where($"x.sep = {sql.Add(sep)}");
        if (filter.Kind is { } kind) sql.Where($"x.kind = {sql.Add(kind)}");
        if (filter.Statuses.Length > 0) sql.Where($"x.status = ANY({sql.Add(filter.Statuses)})");
        if (filter.Asset is { } asset) sql.Where($"x.assets @> ARRAY[{sql.Add(asset)}]");
        if (filter.Account is { } account) sql.Where($"x.accounts @> ARRAY[{sql.Add(account)}]");
        if (filter.CustomerId is { } customer) sql.Where($"x.customer_ids @> ARRAY[{sql.Add(customer)}]");
        if (filter.UpdatedAfter is { } from) sql.Where($"x.order_key > {sql.Add(from)}");
        if (filter.UpdatedBefore is { } until) sql.Where($"x.order_key < {sql.Add(until)}");
        if (after is { OrderKey: { } key, Id: { } id }) sql.Where($"(x.order_key, x.id) < ({sql.Add(key)}, {sql.Add(id)})");

        return database.ListAsync(
            $"""
             SELECT convert_to(x.snapshot::text, 'UTF8'), x.order_key, x.id FROM (
                 SELECT t.id, t.sep, t.kind, t.status, t.assets, t.accounts, t.customer_ids, t.order_key, t.snapshot
                 FROM transactions t WHERE t.head_seq <= {pinned}
                 UNION ALL
                 SELECT t.id, e.sep, e.kind, e.status, e.assets, e.accounts, e.customer_ids, e.order_key,
                        convert_from(e.body, 'UTF8')::jsonb -> 'payload' -> 'transaction'
                 FROM transactions t
                 CROSS JOIN LATERAL (
                     SELECT * FROM events e
                     WHERE e.transaction_id = t.id AND e.seq <= {pinned}
                     ORDER BY e.order_key DESC, e.seq DESC LIMIT 1
                 ) e
                 WHERE t.head_seq > {pinned}
             ) x
             {sql.WhereClause}
             ORDER BY x.order_key DESC, x.id DESC
             LIMIT {sql.Add(take)}
             """,
            sql.Parameters,
            reader => new Listed<RawJson>(new RawJson(reader.GetFieldValue<byte[]>(0)), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2)),
            cancellationToken);
    }

    /// <summary>One page of quotes, newest <c>created_at</c> first, as of a sequence number (quotes never change).</summary>
    public Task<List<Listed<RawJson>>> QuotesAsync(QuoteFilter filter, long asOf, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        sql.Where($"q.seq <= {sql.Add(asOf)}");
        if (filter.SellAsset is { } sell) sql.Where($"q.sell_asset = {sql.Add(sell)}");
        if (filter.BuyAsset is { } buy) sql.Where($"q.buy_asset = {sql.Add(buy)}");
        if (filter.CreatedAfter is { } from) sql.Where($"q.order_key > {sql.Add(from)}");
        if (after is { OrderKey: { } key, Id: { } id }) sql.Where($"(q.order_key, q.id) < ({sql.Add(key)}, {sql.Add(id)})");
        return database.ListAsync(
            $"SELECT convert_to(q.snapshot::text, 'UTF8'), q.order_key, q.id FROM quotes q {sql.WhereClause} ORDER BY q.order_key DESC, q.id DESC LIMIT {sql.Add(take)}",
            sql.Parameters,
            reader => new Listed<RawJson>(new RawJson(reader.GetFieldValue<byte[]>(0)), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2)),
            cancellationToken);
    }

    /// <summary>
    /// A customer, with how many transactions name it and one page of them (oldest <c>started_at</c> first, after
    /// <paramref name="after"/>): ids with their sort keys, so the caller can continue after the last.
    /// </summary>
    public async Task<(CustomerSummary Customer, List<Listed<string>> Transactions)?> CustomerAsync(
        string id, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        var customer = sql.Add(id);
        sql.Where($"t.customer_ids @> ARRAY[{customer}]");
        if (after is { OrderKey: { } key, Id: { } last }) sql.Where($"(t.started_at, t.id) > ({sql.Add(key)}, {sql.Add(last)})");
        var found = await database.ListAsync(
            $"""
             SELECT c.id, c.first_seen_at, c.last_updated_at, c.update_count,
                    (SELECT count(*) FROM transactions t WHERE t.customer_ids @> ARRAY[c.id]),
                    page.ids, page.started
             FROM customers c, LATERAL (
                 SELECT coalesce(array_agg(p.id ORDER BY p.started_at, p.id), ARRAY[]::text[]) AS ids,
                        coalesce(array_agg(p.started_at ORDER BY p.started_at, p.id), ARRAY[]::timestamptz[]) AS started
                 FROM (SELECT t.id, t.started_at FROM transactions t {sql.WhereClause} ORDER BY t.started_at, t.id LIMIT {sql.Add(take)}) p
             ) page
             WHERE c.id = {customer}
             """,
            sql.Parameters,
            reader =>
            {
                var ids = reader.GetFieldValue<string[]>(5);
                var started = reader.GetFieldValue<DateTimeOffset[]>(6);
                var summary = new CustomerSummary(
                    reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3), reader.GetInt64(4),
                    ids, null, take);
                return (summary, ids.Zip(started, (transaction, at) => new Listed<string>(transaction, at, transaction)).ToList());
            },
            cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Rejected events, the most recently first received first.</summary>
    public Task<List<RejectedEventSummary>> RejectedEventsAsync(RejectedFilter filter, long? afterId, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        if (filter.Reason is { } reason) sql.Where($"reason = {sql.Add(reason)}");
        if (filter.EventId is { } eventId) sql.Where($"event_id = {sql.Add(eventId)}");
        if (afterId is { } last) sql.Where($"id < {sql.Add(last)}");
        return database.ListAsync(
            $"SELECT {RejectedColumns} FROM rejected_events {sql.WhereClause} ORDER BY id DESC LIMIT {sql.Add(take)}",
            sql.Parameters, ReadRejected, cancellationToken);
    }

    public async Task<RejectedEventDetail?> RejectedEventAsync(long id, CancellationToken cancellationToken)
    {
        var found = await database.ListAsync(
            $"SELECT {RejectedColumns}, body FROM rejected_events WHERE id = $1",
            [Value(id)],
            reader =>
            {
                var summary = ReadRejected(reader);
                var body = reader.GetFieldValue<byte[]>(10);
                return new RejectedEventDetail(
                    summary.Id, summary.EventId, summary.EventType, summary.Reason, summary.Errors, summary.Attempts,
                    summary.FirstReceivedAt, summary.LastReceivedAt, summary.ReplayedAt, summary.ReplayOutcome,
                    Encoding.UTF8.GetString(body), Convert.ToBase64String(body));
            },
            cancellationToken);
        return found.SingleOrDefault();
    }

    public Task<byte[]?> RejectedBodyAsync(long id, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT body FROM rejected_events WHERE id = $1", [Value(id)], cancellationToken);

    public Task RecordReplayAsync(long id, string outcome, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "UPDATE rejected_events SET replayed_at = $2, replay_outcome = $3 WHERE id = $1", [Value(id), Value(at), Value(outcome)],
            cancellationToken);

    private const string RejectedColumns =
        "id, event_id, event_type, reason, convert_to(errors::text, 'UTF8'), attempts, first_received_at, last_received_at, replayed_at, replay_outcome";

    private static RejectedEventSummary ReadRejected(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetString(3), new RawJson(reader.GetFieldValue<byte[]>(4)), reader.GetInt32(5),
        reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9));

    /// <summary>Positional parameters and AND-ed conditions for a query whose filters are optional.</summary>
    private sealed class SqlBuilder
    {
        private readonly List<string> _conditions = [];
        public List<NpgsqlParameter> Parameters { get; } = [];

        public string WhereClause => _conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", _conditions);

        public void Where(string condition) => _conditions.Add(condition);

        /// <summary>Adds a parameter and returns its placeholder: values never enter the SQL text.</summary>
        public string Add(object value)
        {
            Parameters.Add(Value(value, value is string[] ? NpgsqlDbType.Array | NpgsqlDbType.Text : null));
            return "$" + Parameters.Count;
        }
    }
}
