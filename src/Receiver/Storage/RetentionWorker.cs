using Microsoft.Extensions.Options;

namespace Receiver.Storage;

/// <summary>
/// Keeps the monthly partitions of <c>events</c> and <c>rejected_events</c> ahead of the clock and expires what <c>Retention:*</c> says: at start,
/// before the app serves (hosted services start before the server listens), then daily. An insert whose month has no
/// partition fails, and every <c>POST /event</c> would answer 503: the migration and each upkeep create the current
/// month and <see cref="MonthsAhead"/> more, so months of failed upkeeps pass before that can happen.
/// </summary>
internal sealed partial class RetentionWorker(
    RetentionStore store, IOptions<RetentionOptions> options, TimeProvider clock, RetentionMetrics metrics, ILogger<RetentionWorker> logger)
    : BackgroundService
{
    internal const int MonthsAhead = 3;
    private static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await UpkeepAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken)) await UpkeepAsync(stoppingToken);
    }

    /// <summary>One upkeep: partitions created ahead, then whatever expired deleted. A failure is logged and counted, never thrown.</summary>
    internal async Task UpkeepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        try
        {
            var thisMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
            var retention = options.Value;
            foreach (var (table, kept) in new[] { (PartitionedTables.Events, retention.Events), (PartitionedTables.RejectedEvents, retention.RejectedEvents) })
            {
                var created = await store.CreatePartitionsAsync(table, Enumerable.Range(0, MonthsAhead + 1).Select(thisMonth.AddMonths), cancellationToken);
                metrics.PartitionsCreated(table, created.Count);
                if (created.Count > 0) LogCreated(logger, string.Join(", ", created));
                if (kept is not { } keptFor) continue;
                var dropped = await store.DropPartitionsBeforeAsync(table, now - keptFor, now, cancellationToken);
                metrics.PartitionsDropped(table, dropped.Count);
                if (dropped.Count > 0) LogDropped(logger, string.Join(", ", dropped));
            }
            if (retention.ReconciliationRuns is { } runs)
                metrics.RunsDeleted(await store.DeleteReconciliationRunsBeforeAsync(now - runs, cancellationToken));
        }
        catch (DatabaseUnavailableException e)
        {
            metrics.Failed();
            LogFailed(logger, e.InnerException?.Message ?? e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: created the partitions {Partitions}")]
    private static partial void LogCreated(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: dropped the expired partitions {Partitions}")]
    private static partial void LogDropped(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention upkeep failed, retried in a day or at the next start: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
