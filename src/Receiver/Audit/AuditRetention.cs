using Microsoft.Extensions.Options;
using Receiver.Storage;

namespace Receiver.Audit;

/// <summary>
/// Keeps the audit trail to <c>Retention:AuditRecords</c>: at start and then every <see cref="SweepInterval"/>, deletes the
/// records that arrived before then, <see cref="BatchSize"/> at a time. Every instance sweeps; sweeps that meet
/// delete each record once.
/// </summary>
internal sealed partial class AuditRetention(
    RetentionStore store, IOptions<RetentionOptions> options, AuditMetrics metrics, TimeProvider clock, ILogger<AuditRetention> logger)
    : BackgroundService
{
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromHours(1);

    /// <summary>Small enough that one statement's locks and WAL stay short while reads and inserts go on.</summary>
    internal const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, e.GetType().Name, e.Message);
            }
            try
            {
                await Task.Delay(SweepInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - options.Value.AuditRecords;
        // Found through the index on requested_at.
        var total = await store.DeleteBeforeAsync("audit_records", "requested_at", cutoff, BatchSize, metrics.Deleted, cancellationToken);
        if (total > 0) LogSwept(logger, total, cutoff);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit trail: deleted {Count} records from before {Cutoff:O} (Retention:AuditRecords)")]
    private static partial void LogSwept(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit trail: the retention sweep failed ({ErrorType}: {ErrorMessage}); trying again within the hour")]
    private static partial void LogSweepFailed(ILogger logger, string errorType, string errorMessage);
}
