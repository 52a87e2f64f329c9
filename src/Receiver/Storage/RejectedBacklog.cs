using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Telemetry;

namespace Receiver.Storage;

/// <summary>
/// The rejected events still waiting for someone: never replayed, or replayed without being stored. Counted in
/// PostgreSQL at most once per <c>Metrics:BacklogRefreshSeconds</c>, in the background: a scrape reads the last count
/// and never waits for the database, so a scrape works (and shows the last known backlog) while PostgreSQL is down.
/// </summary>
internal sealed partial class RejectedBacklog(
    NpgsqlDataSource dataSource, IOptions<MetricsOptions> options, TimeProvider clock, ILogger<RejectedBacklog> logger)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Reasons = [RejectionReasons.Invalid, RejectionReasons.ConflictingDuplicate];

    private const string CountSql =
        $"""
        SELECT reason, count(*) FROM rejected_events
        WHERE replay_outcome IS NULL OR replay_outcome NOT IN ('{Outcomes.Stored}', '{Outcomes.Redelivered}')
        GROUP BY reason
        """;

    // Zero until the first count is in (it starts with the first scrape), so that the series is there from the start.
    private Measurement<long>[] _last = ByReason(Reasons.ToDictionary(reason => reason, _ => 0L));
    private long _refreshedAtTicks = DateTimeOffset.MinValue.UtcTicks;
    private int _refreshing;

    /// <summary>The last count, by reason; starts a count in the background when it is due. Zero before the first count.</summary>
    public IEnumerable<Measurement<long>> Observe()
    {
        var since = TimeSpan.FromTicks(clock.GetUtcNow().UtcTicks - Interlocked.Read(ref _refreshedAtTicks));
        var due = since >= TimeSpan.FromSeconds(options.Value.BacklogRefreshSeconds);
        if (due && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0) _ = RefreshAsync();
        return Volatile.Read(ref _last);
    }

    private async Task RefreshAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(QueryTimeout);
            await using var command = dataSource.CreateCommand(CountSql);
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            var counts = Reasons.ToDictionary(reason => reason, _ => 0L);
            while (await reader.ReadAsync(timeout.Token))
            {
                if (counts.ContainsKey(reader.GetString(0))) counts[reader.GetString(0)] = reader.GetInt64(1);
            }
            Volatile.Write(ref _last, ByReason(counts));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            LogCountFailed(logger, e.Message);
        }
        finally
        {
            Interlocked.Exchange(ref _refreshedAtTicks, clock.GetUtcNow().UtcTicks);
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private static Measurement<long>[] ByReason(Dictionary<string, long> counts) =>
        [.. counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("reason", c.Key)))];

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not count the rejected-events backlog ({ErrorMessage}); the last count stands")]
    private static partial void LogCountFailed(ILogger logger, string errorMessage);
}
