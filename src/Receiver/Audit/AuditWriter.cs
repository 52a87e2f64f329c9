using System.Threading.Channels;

namespace Receiver.Audit;

/// <summary>
/// Writes the audit trail in batches, one insert each, off the requests' path: a read with <c>read:personal</c>
/// (every read of a legacy key) only queues its record, and the records of about a second share one insert. An
/// <c>operate</c> action's record is written at once, with whatever is queued, and its request waits for that commit.
/// </summary>
/// <remarks>
/// Memory is bounded: the queue holds <see cref="Capacity"/> records. When PostgreSQL falls that far behind, a read's
/// record is dropped and counted rather than the read slowed down; an action's record waits for room. On shutdown the
/// queue is closed once the server has answered its last request (<see cref="StoppedAsync"/>, after every
/// StopAsync) and written out before the process ends. A crash loses the reads' records of the last flush interval.
/// </remarks>
internal sealed partial class AuditWriter(AuditStore store, AuditMetrics metrics, TimeProvider clock, ILogger<AuditWriter> logger)
    : IHostedLifecycleService
{
    /// <summary>The longest a read's record waits in memory for others to share its insert.</summary>
    internal static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    internal const int MaxBatch = 500;

    /// <summary>Records queued at most: a few seconds of a busy instance's reads, a few MB at most.</summary>
    internal const int Capacity = 16 * MaxBatch;

    private readonly Channel<Queued> _queue = Channel.CreateBounded<Queued>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Released to write without waiting out the flush interval: an action's record, a full batch, shutdown.</summary>
    private readonly SemaphoreSlim _flushNow = new(0);

    private Task _writing = Task.CompletedTask;
    private volatile bool _stopped;

    /// <summary>Set while reads' records are being dropped, so that a run of drops logs one line, not one per read.</summary>
    private int _dropping;

    /// <param name="Committed">Completed with whether the batch holding it committed; null when nobody waits for it.</param>
    private sealed record Queued(AuditRow Row, TaskCompletionSource<bool>? Committed);

    /// <summary>Queues a read's record; never waits. A full queue drops it (counted, and logged once per run of drops).</summary>
    public void Queue(AuditRow row)
    {
        if (_queue.Writer.TryWrite(new Queued(row, null)))
        {
            if (_queue.Reader.Count >= MaxBatch) _flushNow.Release();
            return;
        }
        metrics.Dropped(AuditDropReason.QueueFull, 1);
        if (Interlocked.Exchange(ref _dropping, 1) == 0) LogQueueFull(logger, Capacity);
    }

    /// <summary>Writes an action's record at once; true when it is committed, false when it could not be written.</summary>
    public async Task<bool> WriteAsync(AuditRow row)
    {
        var queued = new Queued(row, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _queue.Writer.WriteAsync(queued);
        }
        catch (ChannelClosedException)
        {
            metrics.Dropped(AuditDropReason.WriteFailed, 1);
            return false;
        }
        _flushNow.Release();
        return await queued.Committed!.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writing = Task.Run(WriteUntilDrainedAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task WriteUntilDrainedAsync()
    {
        var batch = new List<Queued>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await WaitForCompanyAsync();
            do
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var queued)) batch.Add(queued);
                if (batch.Count > 0) await WriteAsync(batch);
            } while (batch.Count == MaxBatch);
        }
    }

    /// <summary>Lets more records gather for up to <see cref="FlushInterval"/>, unless one must be written now.</summary>
    private async Task WaitForCompanyAsync()
    {
        if (!_stopped)
        {
            using var due = new CancellationTokenSource(FlushInterval, clock);
            try
            {
                await _flushNow.WaitAsync(due.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        // What asked for this flush is in it: let it go, so the next batch waits for company again.
        while (_flushNow.Wait(0))
        {
        }
    }

    private async Task WriteAsync(List<Queued> batch)
    {
        bool committed;
        try
        {
            await store.InsertAsync([.. batch.Select(queued => queued.Row)], CancellationToken.None);
            metrics.Written(batch.Count);
            committed = true;
            Volatile.Write(ref _dropping, 0);
        }
        catch (Exception e)
        {
            metrics.Dropped(AuditDropReason.WriteFailed, batch.Count);
            LogBatchFailed(logger, batch.Count, e.GetType().Name, e.Message);
            committed = false;
        }
        foreach (var queued in batch) queued.Committed?.TrySetResult(committed);
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        _queue.Writer.TryComplete();
        _flushNow.Release();
        await _writing.WaitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error,
        Message = "The audit trail lost {Count} records: PostgreSQL did not take their batch ({ErrorType}: {ErrorMessage})")]
    private static partial void LogBatchFailed(ILogger logger, int count, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "The audit trail's queue is full ({Capacity} records): reads' records are dropped until PostgreSQL catches up (receiver_audit_records_dropped_total)")]
    private static partial void LogQueueFull(ILogger logger, int capacity);
}
