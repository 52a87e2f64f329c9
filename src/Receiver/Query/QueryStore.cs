using System.Text;
using Npgsql;
using NpgsqlTypes;
using Receiver.Http;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Query;

internal sealed record TransactionFilter(
    string? Sep, string? Kind, string[] Statuses, string? Asset, DateTimeOffset? UpdatedAfter, DateTimeOffset? UpdatedBefore,
    string? CustomerId, string? Account, string? Anchor = null);

internal sealed record QuoteFilter(string? SellAsset, string? BuyAsset, DateTimeOffset? CreatedAfter);

internal sealed record RejectedFilter(string? Reason, string? EventId);

/// <summary>A row of a list, with the sort key the next page continues after (the anchor breaks a tie of ids).</summary>
internal readonly record struct Listed<T>(T Item, DateTimeOffset OrderKey, string Id, string Anchor = Anchors.Own);

/// <summary>A transaction's newest snapshot, and whose it is.</summary>
internal readonly record struct AnchoredSnapshot(string Anchor, byte[] Snapshot);

/// <summary>
/// The query API's reads, in plain SQL: the lists read the state as of one sequence number (the newest when a walk
/// began), which LINQ cannot say; stored JSON is read as UTF-8 bytes and passed through as it is (RawJson).
/// </summary>
internal sealed class QueryStore(ResilientDatabase database, [FromKeyedServices(DatabaseWork.Read)] ResilientDatabase reads)
{
    /// <summary>
    /// The transaction with this id: of <paramref name="anchor"/> when given, else of any anchor. At most two, which is
    /// enough to tell that an id without an anchor is ambiguous.
    /// </summary>
    public Task<List<AnchoredSnapshot>> TransactionAsync(string id, string? anchor, CancellationToken cancellationToken) =>
        reads.ListAsync(
            anchor is null
                ? "SELECT anchor, snapshot FROM transactions WHERE id = $1 ORDER BY anchor LIMIT 2"
                : "SELECT anchor, snapshot FROM transactions WHERE id = $1 AND anchor = $2",
            anchor is null ? [Value(id)] : [Value(id), Value(anchor)],
            reader => new AnchoredSnapshot(reader.GetString(0), reader.GetFieldValue<byte[]>(1)),
            cancellationToken);

    public async Task<byte[]?> QuoteAsync(string id, CancellationToken cancellationToken) =>
        (await reads.ListAsync("SELECT snapshot FROM quotes WHERE id = $1", [Value(id)], Snapshot, cancellationToken)).FirstOrDefault();

    /// <summary>
    /// The newest sequence number every reader can see: where a new walk through a list is pinned. When retention has
    /// dropped every event, the highest it dropped: a pin below the state's head_seq would hide every transaction.
    /// </summary>
    public async Task<long> LatestSequenceAsync(CancellationToken cancellationToken) =>
        await reads.ScalarAsync<long>(
            $"SELECT {StandbyReads.NewestSequenceSql}", [], cancellationToken);

    /// <summary>
    /// The events of one transaction in the order of its snapshots, of <paramref name="anchor"/> when given, else of
    /// every anchor that has a transaction with this id; empty when the transaction is unknown.
    /// </summary>
    public Task<List<TimelineEntry>> TimelineAsync(string id, string? anchor, CancellationToken cancellationToken) =>
        reads.ListAsync(
            $"""
             SELECT seq, id, type, status, updated_at, event_timestamp, received_at, source, anchor
             FROM events WHERE transaction_id = $1{(anchor is null ? "" : " AND anchor = $2")}
             ORDER BY order_key, seq
             """,
            anchor is null ? [Value(id)] : [Value(id), Value(anchor)],
            reader => new TimelineEntry(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7),
                Anchors.Named(reader.GetString(8))),
            cancellationToken);

    /// <summary>
    /// One page of transactions, newest <c>updated_at</c> first, as they stood at sequence number <paramref name="asOf"/>:
    /// a transaction changed since then is shown as it was (from its events), one created since is left out. A walk
    /// pinned to one sequence number therefore returns every matching transaction exactly once, however many
    /// events arrive meanwhile.
    /// </summary>
    /// <remarks>
    /// Each page costs what it returns (docs/performance.md). The page is merged from branches that each filter, seek
    /// past the cursor on <c>(order_key, id)</c> and stop at the page's size, so each reads one index in that order from
    /// the cursor on: the transactions unchanged since the pin in each part of the indexes (<see cref="TransactionParts"/>),
    /// or, for a status filter, in each status (<c>(status, order_key, id)</c>); and those changed since the pin, in each
    /// part of the index on <c>head_seq</c>. The JSON text is made for the rows of the page alone.
    /// </remarks>
    public Task<List<Listed<RawJson>>> TransactionsAsync(
        TransactionFilter filter, long asOf, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var (text, parameters) = TransactionsStatement(filter, asOf, after, take);
        // Only where the pin shows: a standby behind it would show the walk another state than its first page did.
        return reads.ListCustomPlannedAsync(text, parameters, ReadAnchoredListed, cancellationToken, mustShow: asOf);
    }

    /// <summary>The statement of <see cref="TransactionsAsync"/>, apart so that its plans can be checked.</summary>
    internal static (string Sql, List<NpgsqlParameter> Parameters) TransactionsStatement(TransactionFilter filter, long asOf, Cursor? after, int take)
    {
        var sql = new SqlBuilder();
        var pinned = sql.Add(asOf);
        // Conditions on the state a branch shows: x is the row that holds it (t, the transaction, or e, its event).
        var conditions = new List<Func<string, string>>();
        if (filter.Sep is { } sep) { var p = sql.Add(sep); conditions.Add(x => $"{x}.sep = {p}"); }
        if (filter.Kind is { } kind) { var p = sql.Add(kind); conditions.Add(x => $"{x}.kind = {p}"); }
        if (filter.Asset is { } asset) { var p = sql.Add(asset); conditions.Add(x => $"{x}.assets @> ARRAY[{p}]"); }
        if (filter.Account is { } account) { var p = sql.Add(account); conditions.Add(x => $"{x}.accounts @> ARRAY[{p}]"); }
        if (filter.CustomerId is { } customer) { var p = sql.Add(customer); conditions.Add(x => $"{x}.customer_ids @> ARRAY[{p}]"); }
        if (filter.UpdatedAfter is { } from) { var p = sql.Add(from); conditions.Add(x => $"{x}.order_key > {p}"); }
        if (filter.UpdatedBefore is { } until) { var p = sql.Add(until); conditions.Add(x => $"{x}.order_key < {p}"); }
        if (filter.Anchor is { } anchor) { var p = sql.Add(anchor); conditions.Add(_ => $"t.anchor = {p}"); }
        if (after is { OrderKey: { } key, Id: { } id })
        {
            var (k, i, a) = (sql.Add(key), sql.Add(id), sql.Add(after.Anchor ?? Anchors.Own));
            conditions.Add(x => $"({x}.order_key, t.id, t.anchor) < ({k}, {i}, {a})");
        }
        var statuses = filter.Statuses.Distinct(StringComparer.Ordinal).Select(sql.Add).ToList();
        // One branch per status, by equality: PostgreSQL reads (status, order_key, id) in order only for one value.
        // Without the part's predicate, which the status implies: said as well, it is counted twice in the planner's
        // estimate, which then takes a status for rarer than it is and reads it another way (20 ms instead of 3).
        var unchanged = statuses.Count == 0 ? Parts : statuses.Select(status => $"t.status = {status}").ToArray();
        var statusAsOfPin = statuses.Count == 0 ? "" : $" AND e.status IN ({string.Join(", ", statuses)})";
        var limit = sql.Add(take);
        string And(string x) => string.Concat(conditions.Select(condition => " AND " + condition(x)));

        var branches = unchanged.Select(slice =>
            $"""
             (SELECT t.id, t.anchor, t.order_key, t.snapshot, NULL::bigint AS seq
              FROM transactions t
              WHERE t.head_seq <= {pinned} AND {slice}{And("t")}
              ORDER BY t.order_key DESC, t.id DESC, t.anchor DESC LIMIT {limit})
             """).Concat(Parts.Select(part =>
            $"""
             (SELECT t.id, t.anchor, e.order_key, NULL::jsonb, e.seq
              FROM transactions t
              CROSS JOIN LATERAL (
                  SELECT e.seq, e.order_key, e.sep, e.kind, e.status, e.assets, e.accounts, e.customer_ids FROM events e
                  WHERE e.transaction_id = t.id AND e.anchor = t.anchor AND e.seq <= {pinned}
                  ORDER BY e.order_key DESC, e.seq DESC LIMIT 1
              ) e
              WHERE t.head_seq > {pinned} AND {part}{And("e")}{statusAsOfPin}
              ORDER BY e.order_key DESC, t.id DESC, t.anchor DESC LIMIT {limit})
             """));

        return (
            $"""
             SELECT coalesce(page.snapshot, {StoredTransaction("b")}),
                    page.order_key, page.id, page.anchor
             FROM (
                 {string.Join("\n UNION ALL\n", branches)}
                 ORDER BY order_key DESC, id DESC, anchor DESC LIMIT {limit}
             ) page
             LEFT JOIN events b ON b.seq = page.seq
             ORDER BY page.order_key DESC, page.id DESC, page.anchor DESC
             """,
            sql.Parameters);
    }

    /// <summary>
    /// The transaction in the stored body of event <paramref name="e"/>: <c>payload.transaction</c> of AP's event, or
    /// <c>transaction</c> of a wallet's callback, which is the SEP's own transaction response.
    /// </summary>
    private static string StoredTransaction(string e) =>
        $"(CASE {e}.source WHEN '{EventSources.Callback}' THEN convert_from({e}.body, 'UTF8')::jsonb -> 'transaction' " +
        $"ELSE convert_from({e}.body, 'UTF8')::jsonb -> 'payload' -> 'transaction' END)";

    /// <summary>One page of quotes, newest <c>created_at</c> first, as of a sequence number (quotes never change).</summary>
    public Task<List<Listed<RawJson>>> QuotesAsync(QuoteFilter filter, long asOf, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        sql.Where($"q.seq <= {sql.Add(asOf)}");
        if (filter.SellAsset is { } sell) sql.Where($"q.sell_asset = {sql.Add(sell)}");
        if (filter.BuyAsset is { } buy) sql.Where($"q.buy_asset = {sql.Add(buy)}");
        if (filter.CreatedAfter is { } from) sql.Where($"q.order_key > {sql.Add(from)}");
        if (after is { OrderKey: { } key, Id: { } id }) sql.Where($"(q.order_key, q.id) < ({sql.Add(key)}, {sql.Add(id)})");
        return reads.ListCustomPlannedAsync(
            $"""
             SELECT page.snapshot, page.order_key, page.id FROM (
                 SELECT q.snapshot, q.order_key, q.id FROM quotes q {sql.WhereClause} ORDER BY q.order_key DESC, q.id DESC LIMIT {sql.Add(take)}
             ) page
             ORDER BY page.order_key DESC, page.id DESC
             """,
            sql.Parameters,
            ReadListed,
            cancellationToken,
            mustShow: asOf);
    }

    /// <summary>
    /// A customer, with how many transactions name it and one page of them (oldest <c>started_at</c> first, after
    /// <paramref name="after"/>): ids with their sort keys, so the caller can continue after the last.
    /// </summary>
    public async Task<(CustomerSummary Customer, List<Listed<string>> Transactions)?> CustomerAsync(
        string id, string anchor, Cursor? after, int take, CancellationToken cancellationToken)
    {
        var (text, parameters) = CustomerStatement(id, anchor, after, take);
        var found = await reads.ListAsync(
            text, parameters,
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

    /// <summary>The statement of <see cref="CustomerAsync"/>, apart so that its plans can be checked.</summary>
    internal static (string Sql, List<NpgsqlParameter> Parameters) CustomerStatement(string id, string anchor, Cursor? after, int take)
    {
        var sql = new SqlBuilder();
        var customer = sql.Add(id);
        var whose = sql.Add(anchor);
        // Only the receiver's own AP names customers in its transactions (a callback's transaction names none), so the
        // transactions of another anchor's customer are none. Said of the parameter, not of t.anchor, which the
        // planner would read through the whole of an index that ends with it rather than the customer_ids one.
        var named = $"t.customer_ids @> ARRAY[{customer}] AND {whose} = '{Anchors.Own}'";
        sql.Where(named);
        if (after is { OrderKey: { } key, Id: { } last }) sql.Where($"(t.started_at, t.id) > ({sql.Add(key)}, {sql.Add(last)})");
        return (
            $"""
             SELECT c.id, c.first_seen_at, c.last_updated_at, c.update_count,
                    (SELECT count(*) FROM transactions t WHERE {named}),
                    page.ids, page.started
             FROM customers c, LATERAL (
                 SELECT coalesce(array_agg(p.id ORDER BY p.started_at, p.id), ARRAY[]::text[]) AS ids,
                        coalesce(array_agg(p.started_at ORDER BY p.started_at, p.id), ARRAY[]::timestamptz[]) AS started
                 FROM (SELECT t.id, t.started_at FROM transactions t {sql.WhereClause} ORDER BY t.started_at, t.id LIMIT {sql.Add(take)}) p
             ) page
             WHERE c.id = {customer} AND c.anchor = {whose}
             """,
            sql.Parameters);
    }

    /// <summary>Rejected events, the most recently first received first.</summary>
    public Task<List<RejectedEventSummary>> RejectedEventsAsync(RejectedFilter filter, long? afterId, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        if (filter.Reason is { } reason) sql.Where($"reason = {sql.Add(reason)}");
        if (filter.EventId is { } eventId) sql.Where($"event_id = {sql.Add(eventId)}");
        if (afterId is { } last) sql.Where($"id < {sql.Add(last)}");
        return reads.ListAsync(
            $"SELECT {RejectedColumns} FROM rejected_events {sql.WhereClause} ORDER BY id DESC LIMIT {sql.Add(take)}",
            sql.Parameters, ReadRejected, cancellationToken);
    }

    /// <summary>A rejected event, and its body as it was received.</summary>
    public async Task<(RejectedEventSummary Summary, byte[] Body)?> RejectedEventAsync(long id, CancellationToken cancellationToken)
    {
        var found = await reads.ListAsync(
            $"SELECT {RejectedColumns}, body FROM rejected_events WHERE id = $1",
            [Value(id)],
            reader => (ReadRejected(reader), reader.GetFieldValue<byte[]>(10)),
            cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>The body to replay, from the primary: a replay acts on what is stored, however recently.</summary>
    public Task<byte[]?> RejectedBodyAsync(long id, CancellationToken cancellationToken) =>
        reads.ScalarAsync<byte[]>(
            "SELECT body FROM rejected_events WHERE id = $1", [Value(id)], cancellationToken, ResilientDatabase.Everything);

    public Task RecordReplayAsync(long id, string outcome, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "UPDATE rejected_events SET replayed_at = $2, replay_outcome = $3 WHERE id = $1", [Value(id), Value(at), Value(outcome)],
            cancellationToken);

    /// <summary>The two parts of the transactions indexes, said of the transaction t, as every list's branches say them.</summary>
    private static readonly string[] Parts = [TransactionParts.Terminal("t"), TransactionParts.Open("t")];

    /// <summary>
    /// Stored JSON (jsonb or json) as the UTF-8 text PostgreSQL writes it out: Npgsql hands over a JSON column's text
    /// as bytes, without the jsonb format's version byte, so no conversion in the statement is needed.
    /// </summary>
    private static byte[] Snapshot(NpgsqlDataReader reader) => reader.GetFieldValue<byte[]>(0);

    /// <summary>A row of a list of stored JSON: its text as UTF-8, then the sort key the next page continues after.</summary>
    private static Listed<RawJson> ReadListed(NpgsqlDataReader reader) =>
        new(new RawJson(Snapshot(reader)), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2));

    /// <summary>A row of the transaction list, whose ties of ids the anchor breaks.</summary>
    private static Listed<RawJson> ReadAnchoredListed(NpgsqlDataReader reader) => ReadListed(reader) with { Anchor = reader.GetString(3) };

    private const string RejectedColumns =
        "id, event_id, event_type, reason, errors, attempts, first_received_at, last_received_at, replayed_at, replay_outcome";

    private static RejectedEventSummary ReadRejected(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetString(3), new RawJson(reader.GetFieldValue<byte[]>(4)), reader.GetInt32(5),
        reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9));
}
