using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Receiver.AnchorPlatform;
using Receiver.Http;
using Receiver.PersonalData;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Feed;

/// <summary>
/// One event of the feed: our sequence number, AP's envelope, and the payload exactly as AP sent it; <c>source</c>
/// tells AP's deliveries (<c>ap</c>) from the events reconciliation made from AP's Platform API and from a wallet's
/// callbacks (<c>callback</c>), whose payload is the body the anchor sent, <c>timestamp</c> its signature's time and
/// <c>anchor</c> the anchor it came from (null for the receiver's own AP).
/// </summary>
public sealed record FeedEvent(
    long SequenceNumber, string Id, string Type, string Timestamp, DateTimeOffset ReceivedAt, string Source, RawJson Payload,
    string? Anchor);

internal sealed record FeedFilter(string[] Types, string? TransactionId, string? Anchor = null);

/// <summary>
/// Reads the feed. Sequence numbers become visible in increasing order (see EventStore.SequenceLock), so "after n"
/// never skips an event that commits later; on a standby too, which replays commits in the order they were made.
/// </summary>
internal sealed class FeedStore(
    NpgsqlDataSource dataSource, [FromKeyedServices(DatabaseWork.Read)] ResilientDatabase database, IOptions<FeedOptions> options)
{
    // The body is kept as AP sent it; as json (not jsonb) its payload comes back byte for byte, and as UTF-8 bytes
    // it is written out without ever being a string.
    // A callback's body is the SEP's response, not AP's envelope: the whole of it is the payload, and the time its
    // signature names is the timestamp, written as AP writes instants.
    private const string Columns =
        $"e.seq, e.id, e.type, " +
        $"CASE e.source WHEN '{EventSources.Callback}' THEN to_char(e.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') " +
        $"ELSE b.envelope ->> 'timestamp' END, e.received_at, e.source, " +
        $"CASE e.source WHEN '{EventSources.Callback}' THEN b.envelope ELSE b.envelope -> 'payload' END, e.anchor " +
        "FROM events e CROSS JOIN LATERAL (SELECT convert_from(e.body, 'UTF8')::json AS envelope) b";

    /// <summary>
    /// The first events after <paramref name="after"/>: at most <paramref name="limit"/>, and no more than
    /// <c>Feed:MaxPageBytes</c> of them (as stored), except that the first always comes, however large. Read where
    /// every event up to <paramref name="seen"/> shows (the reader waits for what comes after it: see FeedNotifier).
    /// </summary>
    public Task<List<FeedEvent>> AfterAsync(
        long after, FeedFilter filter, int limit, long seen, PersonalDataView view, CancellationToken cancellationToken)
    {
        var parameters = new List<NpgsqlParameter>
        {
            Value(after), Value(limit), Value((long)options.Value.MaxPageBytes),
        };
        var conditions = "e.seq > $1";
        if (filter.Types.Length > 0)
        {
            parameters.Add(Value(filter.Types, NpgsqlDbType.Array | NpgsqlDbType.Text));
            conditions += $" AND e.type = ANY(${parameters.Count})";
        }
        if (filter.TransactionId is { } transactionId)
        {
            parameters.Add(Value(transactionId));
            conditions += $" AND e.transaction_id = ${parameters.Count}";
        }
        if (filter.Anchor is { } anchor)
        {
            parameters.Add(Value(anchor));
            // Said twice: the literal lets a generic plan of this prepared statement use the partial index on (anchor, seq).
            conditions += $" AND e.anchor = ${parameters.Count} AND e.anchor <> '{Anchors.Own}'";
        }
        // The page ends at the last of the first `limit` events whose running size is within the cap (the first one
        // in any case); the sizes come from octet_length, which reads a TOASTed body's header, not the body. Computed
        // once for the statement, the bound leaves the page itself the same index range scan as without a cap.
        return ReadAsync(
            $"""
             SELECT {Columns} WHERE {conditions} AND e.seq <= (
                 SELECT max(seq) FROM (
                     SELECT seq, sum(size) OVER (ORDER BY seq) AS running_size, row_number() OVER (ORDER BY seq) AS position
                     FROM (SELECT e.seq, octet_length(e.body) AS size FROM events e WHERE {conditions} ORDER BY e.seq LIMIT $2) first
                 ) sized
                 WHERE running_size <= $3 OR position = 1)
             ORDER BY e.seq LIMIT $2
             """,
            parameters, view, cancellationToken, seen);
    }

    // events has no index on the id (it is partitioned by month): event_ids says where the event is, in one partition.
    public async Task<FeedEvent?> ByIdAsync(string id, PersonalDataView view, CancellationToken cancellationToken) =>
        (await ReadAsync(
            $"SELECT {Columns} WHERE (e.seq, e.received_at) = (SELECT seq, received_at FROM event_ids WHERE id = $1)",
            [Value(id)], view, cancellationToken)).SingleOrDefault();

    /// <summary>The event numbered <paramref name="sequenceNumber"/>, read where every event up to <paramref name="mustShow"/> shows.</summary>
    public async Task<FeedEvent?> BySequenceAsync(long sequenceNumber, long mustShow, PersonalDataView view, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} WHERE e.seq = $1", [Value(sequenceNumber)], view, cancellationToken, mustShow)).SingleOrDefault();

    /// <summary>
    /// The first sequence number still stored after the events retention dropped, when a reader after
    /// <paramref name="after"/> is behind them (an event numbered above <paramref name="after"/> was dropped); else null.
    /// Asked after the reader's page is read: a drop that commits in between makes it behind too, so no page read from
    /// a month being dropped is taken for a whole one. Asked of the primary, which has every drop the page's server had,
    /// wherever the page was read (a drop is no event: there is no sequence number to wait for on a standby).
    /// </summary>
    public async Task<long?> FirstRetainedWhenBehindAsync(long after, CancellationToken cancellationToken) =>
        // Sequence numbers start at 1: 0 is the NULL of a reader that is not behind.
        await database.ScalarAsync<long>(
            """
            SELECT CASE WHEN x.last_expired > $1
                        THEN coalesce((SELECT min(seq) FROM events WHERE seq > x.last_expired), x.last_expired + 1) END
            FROM (SELECT coalesce(max(last_seq), 0) AS last_expired FROM expired_partitions) x
            """,
            [Value(after)], cancellationToken, ResilientDatabase.Everything) is > 0 and var first ? first : null;

    /// <summary>Whether an event of this id was stored once and retention has dropped it since (event_ids outlives it).</summary>
    public Task<bool> ExpiredAsync(string id, CancellationToken cancellationToken) =>
        database.ScalarAsync<bool>(
            """
            SELECT NOT EXISTS (SELECT 1 FROM events e WHERE (e.seq, e.received_at) = (i.seq, i.received_at))
            FROM event_ids i WHERE i.id = $1
            """,
            [Value(id)], cancellationToken);

    /// <summary>Whether <paramref name="sequenceNumber"/> lies among the numbers retention has dropped.</summary>
    public Task<bool> ExpiredAsync(long sequenceNumber, CancellationToken cancellationToken) =>
        database.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM expired_partitions WHERE last_seq >= $1)", [Value(sequenceNumber)], cancellationToken);

    private Task<List<FeedEvent>> ReadAsync(
        string sql, IReadOnlyList<NpgsqlParameter> parameters, PersonalDataView view, CancellationToken cancellationToken, long mustShow = 0) =>
        database.ListAsync(sql, parameters, reader =>
        {
            var (type, source) = (reader.GetString(2), reader.GetString(5));
            return new FeedEvent(
                reader.GetInt64(0), reader.GetString(1), type, reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4), source,
                view.Show(new RawJson(reader.GetFieldValue<byte[]>(6)), PayloadShape(source, type)), Anchors.Named(reader.GetString(7)));
        }, cancellationToken, mustShow);

    /// <summary>
    /// What a payload of the feed is: AP's payload, or a callback's whole body, which for SEP-6, 24 and 31 has the same
    /// shape (<c>{"transaction": ...}</c>) and for SEP-12 is the customer itself.
    /// </summary>
    private static JsonShape PayloadShape(string source, string type) =>
        source == EventSources.Callback && type == EventTypes.CustomerUpdated ? JsonShape.Customer : JsonShape.Payload;

    // The cross-instance signal (see FeedNotifier): each instance announces the newest sequence number it committed
    // on one channel, and listens to it on a session of its own.

    /// <summary>The channel on which instances announce the newest sequence number they committed.</summary>
    internal const string Channel = "receiver_events";

    /// <summary>Tells every listening instance that <paramref name="newest"/> is committed.</summary>
    public async Task AnnounceAsync(long newest, CancellationToken cancellationToken)
    {
        await using var notify = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.Add(Value(Channel));
        notify.Parameters.Add(Value(newest.ToString(CultureInfo.InvariantCulture)));
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Starts hearing the announcements on <paramref name="session"/>, a connection that lives as long as the listening.</summary>
    public static async Task ListenAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        await using var listen = new NpgsqlCommand($"LISTEN {Channel}", session);
        await listen.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest committed sequence number, read on the listening session (which also proves it alive).</summary>
    public static async Task<long> NewestAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        await using var newest = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM events", session);
        return (long)(await newest.ExecuteScalarAsync(cancellationToken))!;
    }
}
