using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Reconciliation;

/// <summary>
/// Starts reconciliation runs, on schedule and on demand, one at a time across every instance sharing the
/// database: a run holds a PostgreSQL session advisory lock, on a connection of its own, from start to end.
/// </summary>
/// <remarks>
/// The schedule is shared too: an instance runs when the newest run of any instance began <c>Interval</c> ago, so
/// replicas neither multiply the runs nor skip them when one restarts. Should the lock's connection break mid-run,
/// another instance may start while this one finishes; every gap maps to one event id, so a gap is still stored once.
/// </remarks>
internal sealed partial class ReconciliationRunner(
    ReconciliationStore store, IServiceScopeFactory scopes, IOptions<ReconciliationOptions> options,
    ReconciliationMetrics metrics, TimeProvider clock, ILogger<ReconciliationRunner> logger) : BackgroundService
{
    public const string Scheduled = "schedule";
    public const string Manual = "manual";

    // Never disposed: it has no timer or registration to release, and the host may dispose this service before it
    // calls StopAsync (seen when a test host is disposed), which would then throw on a disposed source.
    private readonly CancellationTokenSource _stopping = new();
    private Task _current = Task.CompletedTask;

    /// <summary>The run in progress on this instance, if any; it completes when the run is recorded.</summary>
    public Task Current => _current;

    /// <summary>Starts a run in the background; null when one is already running (here or on another instance), or not due.</summary>
    public async Task<ReconciliationRun?> TryStartAsync(string trigger, CancellationToken cancellationToken)
    {
        var runLock = await store.TryTakeRunLockAsync(cancellationToken);
        if (runLock is null) return null;
        try
        {
            if (trigger == Scheduled && !await IsDueAsync(cancellationToken))
            {
                await runLock.DisposeAsync();
                return null;
            }
            await store.AbandonRunningAsync(clock.GetUtcNow(), cancellationToken);
            var run = await store.StartAsync(trigger, clock.GetUtcNow(), cancellationToken);
            _current = Task.Run(() => ExecuteRunAsync(run, runLock), CancellationToken.None);
            return run;
        }
        catch
        {
            // Closing the session releases the lock.
            await runLock.DisposeAsync();
            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled || settings.Interval == TimeSpan.Zero) return;
        // When another instance holds the lock past the due time, or the database is down: look again soon.
        var retry = settings.Interval < TimeSpan.FromMinutes(1) ? settings.Interval : TimeSpan.FromMinutes(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await UntilDueAsync(stoppingToken);
                if (wait <= TimeSpan.Zero)
                {
                    if (await TryStartAsync(Scheduled, stoppingToken) is null) wait = retry;
                    else await _current;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogScheduleFailed(logger, e.Message);
                wait = retry;
            }
            if (wait > TimeSpan.Zero) await DelayAsync(wait, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        await _current.WaitAsync(cancellationToken);
    }

    private async Task ExecuteRunAsync(ReconciliationRun run, NpgsqlConnection runLock)
    {
        await using (runLock)
        {
            var tally = new RunTally();
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<Reconciler>().RunAsync(tally, _stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                tally.Error("the receiver shut down before the run finished.");
            }
            catch (Exception e)
            {
                // The message may quote what AP's Platform API answered (PlatformApiClient).
                LogRunFailed(logger, run.Id, e.GetType().Name, LogText.Escape(e.Message));
                tally.Error($"the run stopped: {e.Message}");
            }

            var status = tally.ErrorCount == 0 ? "succeeded" : "failed";
            metrics.RunFinished(status, tally);
            LogRunFinished(logger, run.Id, status, tally.TransactionsChecked, tally.GapsClosed, tally.ErrorCount);
            try
            {
                await store.FinishAsync(run.Id, status, clock.GetUtcNow(), tally, CancellationToken.None);
            }
            catch (DatabaseUnavailableException e)
            {
                // The next run marks it failed (AbandonRunningAsync).
                LogRunFailed(logger, run.Id, e.GetType().Name, e.Message);
            }
        }
    }

    private async Task<TimeSpan> UntilDueAsync(CancellationToken cancellationToken) =>
        await store.LatestStartAsync(cancellationToken) is { } latest ? latest + options.Value.Interval - clock.GetUtcNow() : TimeSpan.Zero;

    // A timer may fire a little early; a run due within a second counts as due.
    private async Task<bool> IsDueAsync(CancellationToken cancellationToken) => await UntilDueAsync(cancellationToken) <= TimeSpan.FromSeconds(1);

    private async Task DelayAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, clock, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reconciliation run {RunId} {Status}: {TransactionsChecked} transactions checked, {GapsClosed} gaps closed, {ErrorCount} errors")]
    private static partial void LogRunFinished(ILogger logger, long runId, string status, int transactionsChecked, int gapsClosed, int errorCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciliation run {RunId} failed ({ErrorType}): {ErrorMessage}")]
    private static partial void LogRunFailed(ILogger logger, long runId, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation schedule: {ErrorMessage}; trying again shortly")]
    private static partial void LogScheduleFailed(ILogger logger, string errorMessage);
}
