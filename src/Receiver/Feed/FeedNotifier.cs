using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Storage;

namespace Receiver.Feed;

/// <summary>
/// Knows the newest committed sequence number and wakes every feed reader of this instance when it grows. Commits of
/// this instance are signalled directly, then announced to the others with NOTIFY; one LISTEN connection per instance
/// hears the announcements of every instance, and reads the newest sequence number itself whenever it has heard
/// nothing for a while, so an announcement that never came (a sender killed just after its commit) delays readers
/// by that while at most. Readers share one wake-up task, so a thousand idle streams cost a thousand awaits of one
/// task, not a thousand database connections. When reads go to a standby, which hears no NOTIFY and shows a commit
/// only once it has replayed it, readers wake when the standby shows what was committed (<see cref="StandbyReads"/>).
/// </summary>
internal sealed partial class FeedNotifier(
    FeedStore store, StandbyReads standby, IOptions<DatabaseOptions> database, TimeProvider clock, ILogger<FeedNotifier> logger)
    : BackgroundService, IFeedSignal
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AnnounceTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AnnounceSpacing = TimeSpan.FromMilliseconds(5);

    private long _latest;
    private TaskCompletionSource _advanced = Atomic.NewSignal();

    /// <summary>The newest sequence number known to be committed.</summary>
    private long Latest => Interlocked.Read(ref _latest);

    /// <summary>Whether <paramref name="sequenceNumber"/> is known to be committed (its event, unless retention dropped it, is stored).</summary>
    public bool IsCommitted(long sequenceNumber) => sequenceNumber <= Latest;

    /// <summary>
    /// The newest committed sequence number that the feed's reads are sure to show: a reader that reads after taking it
    /// has seen every event up to it, and waits for one beyond it (<see cref="WaitBeyondAsync"/>). Pass it to
    /// <see cref="FeedStore.AfterAsync"/>, which then reads where it shows.
    /// </summary>
    public long Readable => standby.Showing(Latest);

    /// <summary>
    /// A commit of this instance: its readers wake at once, the other instances when the NOTIFY reaches them. NOTIFY
    /// is sent after the commit rather than inside it: in the commit it would lengthen every acknowledgement (a quarter
    /// of PostgreSQL's time for the write of one event), and readers lose nothing by it, since they read everything
    /// after their position whenever they wake.
    /// </summary>
    public void Committed(long sequenceNumber)
    {
        Advance(sequenceNumber);
        Atomic.RaiseTo(ref _toAnnounce, sequenceNumber);
        // On a thread of its own, without the caller's execution context: the caller may be a request writing its own
        // event (EventWriter), which answers without waiting for the NOTIFY, and whose trace the announcements, which
        // outlive it, must not join.
        if (Interlocked.Exchange(ref _announcing, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static notifier => _ = notifier.AnnounceAsync(), this, preferLocal: false);
    }

    private long _toAnnounce;
    private long _announced;
    private int _announcing;

    // One NOTIFY at a time, each carrying the newest sequence number so far: commits made while one is on its way
    // share the next. Never throws: a failed announcement is made good by the next one, or by the listeners' checks.
    private async Task AnnounceAsync()
    {
        while (true)
        {
            var newest = Interlocked.Read(ref _toAnnounce);
            if (newest <= _announced)
            {
                Volatile.Write(ref _announcing, 0);
                // A commit between the read above and the release would otherwise wait for the next commit.
                if (Interlocked.Read(ref _toAnnounce) <= _announced || Interlocked.Exchange(ref _announcing, 1) == 1) return;
                continue;
            }
            try
            {
                using var timeout = new CancellationTokenSource(AnnounceTimeout);
                await store.AnnounceAsync(newest, timeout.Token);
            }
            catch (Exception e)
            {
                LogAnnounceFailed(logger, e.Message);
            }
            _announced = newest;
            // Commits of the next few milliseconds share the next announcement: under a steady stream of events
            // the other instances hear of them a little later, rather than PostgreSQL and every listener being
            // woken once per event.
            await Task.Delay(AnnounceSpacing);
        }
    }

    private void Advance(long sequenceNumber)
    {
        if (Atomic.RaiseTo(ref _latest, sequenceNumber)) Wake();
    }

    /// <summary>
    /// Returns once a sequence number beyond <paramref name="seen"/> is committed and the reads show it, or when the
    /// timeout passes.
    /// </summary>
    public async Task WaitBeyondAsync(long seen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        // Take the signal before reading Latest: a commit in between then completes the signal we hold.
        var advanced = Volatile.Read(ref _advanced).Task;
        if (timeout <= TimeSpan.Zero) return;
        if (Latest <= seen)
        {
            try
            {
                await advanced.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                return;
            }
            // Woken without a commit (the listener reconnected): the reader reads again.
            if (Latest <= seen) return;
        }
        // Committed on the primary: a standby the reads go to may not have replayed it yet.
        await standby.WaitToShowAsync(seen + 1, timeout - clock.GetElapsedTime(started), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Outside the pool: a LISTEN must end with its session, not stay on an idle pooled connection.
                await using var connection = database.Value.UnpooledConnection();
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, out var sequenceNumber)) Advance(sequenceNumber);
                };
                await FeedStore.ListenAsync(connection, stoppingToken);
                // Whatever was committed while we were not listening.
                await ReadNewestAsync(connection, stoppingToken);
                Wake();
                delay = TimeSpan.FromMilliseconds(250);
                while (true)
                {
                    // Heard nothing for a while: read the newest sequence number (an announcement may have been lost),
                    // which also proves the connection alive (a half-open socket would otherwise wait forever).
                    if (await connection.WaitAsync(CheckInterval, stoppingToken)) continue;
                    await ReadNewestAsync(connection, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogListenFailed(logger, e.Message, delay);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = delay * 2 < MaxReconnectDelay ? delay * 2 : MaxReconnectDelay;
            }
        }
    }

    private async Task ReadNewestAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        Advance(await FeedStore.NewestAsync(connection, cancellationToken));

    private void Wake() => Interlocked.Exchange(ref _advanced, Atomic.NewSignal()).TrySetResult();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce new events to the other instances ({ErrorMessage}); they will read them at their next check")]
    private static partial void LogAnnounceFailed(ILogger logger, string errorMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed listener lost PostgreSQL ({ErrorMessage}); reconnecting in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, string errorMessage, TimeSpan delay);
}
