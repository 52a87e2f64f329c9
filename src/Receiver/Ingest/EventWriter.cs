using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Receiver.Feed;
using Receiver.Storage;

namespace Receiver.Ingest;

/// <summary>
/// Group commit: one writer per instance gathers the events of concurrent requests into one transaction, so the
/// commit, the sequence lock and the feed's announcement (NOTIFY) are paid once per batch rather than once per event. Each request
/// is answered only after the commit that holds its event. A sequential sender (AP sends one event at a time) gets
/// batches of one, with no added wait, which the request writes itself: when nothing is being written and nothing
/// waits, handing the event to the writer and the answer back would only add two thread-pool hops.
/// </summary>
/// <remarks>
/// On shutdown the queue is closed only once the server has finished its in-flight requests (StoppedAsync, after
/// every StopAsync), and drained before the process ends, so every request the server accepted is answered.
/// </remarks>
internal sealed partial class EventWriter(
    EventStore store, IOptions<DatabaseOptions> options, IFeedSignal feed, ILogger<EventWriter> logger) : IHostedLifecycleService
{
    /// <summary>Enough to amortise a commit many times over; small enough to keep one statement batch modest.</summary>
    internal const int MaxBatch = 128;

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(16 * MaxBatch) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Held by whoever writes a batch, the writer or a request writing its own event: one batch at a time.</summary>
    private readonly SemaphoreSlim _writingBatch = new(1, 1);

    private volatile bool _stopped;

    /// <summary>
    /// A queued event, claimed once by whichever side comes first: the writer, to send it, or its request, giving up
    /// (timeout, client gone). An event its request gave up on before the writer took it is never written, so a 503
    /// that says nothing was stored is true; one the writer took may still commit, and the 503 says that instead. A
    /// request that writes its own event claims it at once: its 503 always says the event may be stored.
    /// </summary>
    private sealed class Pending(EventRow row)
    {
        private const int Queued = 0, Taken = 1, Abandoned = 2;
        private int _state = Queued;

        public EventRow Row { get; } = row;
        public TaskCompletionSource<bool> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;
        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
    }

    /// <summary>True when this call stored the event, false when its id was already stored.</summary>
    public async Task<bool> InsertAsync(EventRow row, CancellationToken cancellationToken)
    {
        var pending = new Pending(row);
        var timeout = options.Value.Timeout;
        try
        {
            if (TryTakeWritingTurn())
            {
                // A request that gave up (timeout, client gone) leaves its write to finish: it was taken, may commit.
                pending.TryTake();
                await WriteOwnAsync(pending).WaitAsync(timeout, cancellationToken);
                return await pending.Stored.Task;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await _queue.Writer.WriteAsync(pending, deadline.Token);
            return await pending.Stored.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or ChannelClosedException or OperationCanceledException or DatabaseUnavailableException)
        {
            var mayBeStored = !pending.TryAbandon();
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw new DatabaseUnavailableException(e switch
            {
                ChannelClosedException => "The receiver is shutting down.",
                DatabaseUnavailableException unavailable => unavailable.Message,
                _ => "PostgreSQL did not answer in time.",
            }, e) { EventMayBeStored = mayBeStored };
        }
    }

    /// <summary>
    /// Takes the turn to write when nothing is being written and nothing waits, so that a request may write its own
    /// event; never once <see cref="StoppedAsync"/> has begun (checked after the turn is held, which it waits for).
    /// </summary>
    private bool TryTakeWritingTurn()
    {
        if (_queue.Reader.Count > 0 || !_writingBatch.Wait(0)) return false;
        if (!_stopped) return true;
        _writingBatch.Release();
        return false;
    }

    private async Task WriteOwnAsync(Pending pending)
    {
        try
        {
            await WriteAsync([pending]);
        }
        finally
        {
            _writingBatch.Release();
        }
    }

    private Task _writing = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writing = Task.Run(WriteUntilDrainedAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task WriteUntilDrainedAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var ids = new HashSet<string>(MaxBatch, StringComparer.Ordinal);
        Pending? held = null;
        while (held is not null || await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await _writingBatch.WaitAsync();
            try
            {
                await GatherAndWriteAsync();
            }
            finally
            {
                _writingBatch.Release();
            }
        }

        async Task GatherAndWriteAsync()
        {
            batch.Clear();
            ids.Clear();
            if (held is not null)
            {
                batch.Add(held);
                ids.Add(held.Row.Id);
                held = null;
            }
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (!pending.TryTake()) continue;
                // A second delivery of an id already in this batch goes in the next one, where it finds the first stored.
                if (!ids.Add(pending.Row.Id))
                {
                    held = pending;
                    break;
                }
                batch.Add(pending);
            }
            if (batch.Count > 0) await WriteAsync(batch);
        }
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        _queue.Writer.TryComplete();
        await _writing.WaitAsync(cancellationToken);
        // A request writing its own event finishes before the process does; none starts after this.
        await _writingBatch.WaitAsync(cancellationToken);
        _writingBatch.Release();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            var stored = await store.InsertBatchAsync([.. batch.Select(p => p.Row)], CancellationToken.None);
            for (var i = 0; i < batch.Count; i++) batch[i].Stored.TrySetResult(stored[i] is not null);
            if (stored.Max() is { } newest) feed.Committed(newest);
        }
        catch (Exception e) when (batch.Count > 1 && e is not DatabaseUnavailableException { StatementRefused: false })
        {
            // One event the database refuses must not take its neighbours down with it: write them one by one. Not when
            // the database is down, slow or failing over: each event would wait out Database:Timeout in turn.
            LogBatchFailed(logger, batch.Count, e.Message);
            foreach (var pending in batch) await WriteAsync([pending]);
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Stored.TrySetException(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} events failed ({ErrorMessage}); writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, string errorMessage);
}
