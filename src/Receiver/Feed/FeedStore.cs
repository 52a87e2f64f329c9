using Npgsql;
using NpgsqlTypes;
using Receiver.Query;
using Receiver.Storage;

namespace Receiver.Feed;

/// <summary>
/// One event of the feed: our sequence number, AP's envelope, and the payload exactly as AP sent it; <c>source</c>
/// tells AP's deliveries (<c>ap</c>) from the events reconciliation made from AP's Platform API.
/// </summary>
public sealed record FeedEvent(
    long SequenceNumber, string Id, string Type, string Timestamp, DateTimeOffset ReceivedAt, string Source, RawJson Payload);

internal sealed record FeedFilter(string[] Types, string? TransactionId);

/// <summary>
/// Reads the feed. Sequence numbers become visible in increasing order (see EventStore.SequenceLock), so "after n"
/// never skips an event that commits later.
/// </summary>
internal sealed class FeedStore(ResilientDatabase database)
{
    // The body is kept as AP sent it; as json (not jsonb) its payload comes back byte for byte.
    private const string Columns =
        "e.seq, e.id, e.type, b.envelope ->> 'timestamp', e.received_at, e.source, b.envelope -> 'payload' " +
        "FROM events e CROSS JOIN LATERAL (SELECT convert_from(e.body, 'UTF8')::json AS envelope) b";

    public Task<List<FeedEvent>> AfterAsync(long after, FeedFilter filter, int limit, CancellationToken cancellationToken)
    {
        var parameters = new List<NpgsqlParameter> { new() { Value = after }, new() { Value = limit } };
        var conditions = "e.seq > $1";
        if (filter.Types.Length > 0)
        {
            parameters.Add(new NpgsqlParameter { Value = filter.Types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            conditions += $" AND e.type = ANY(${parameters.Count})";
        }
        if (filter.TransactionId is { } transactionId)
        {
            parameters.Add(new NpgsqlParameter { Value = transactionId });
            conditions += $" AND e.transaction_id = ${parameters.Count}";
        }
        return ReadAsync($"SELECT {Columns} WHERE {conditions} ORDER BY e.seq LIMIT $2", parameters, cancellationToken);
    }

    public async Task<FeedEvent?> ByIdAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} WHERE e.id = $1", [new() { Value = id }], cancellationToken)).SingleOrDefault();

    public async Task<FeedEvent?> BySequenceAsync(long sequenceNumber, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} WHERE e.seq = $1", [new() { Value = sequenceNumber }], cancellationToken)).SingleOrDefault();

    private Task<List<FeedEvent>> ReadAsync(string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken) =>
        database.ListAsync(sql, parameters, reader => new FeedEvent(
            reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), new RawJson(reader.GetString(6))), cancellationToken);
}
