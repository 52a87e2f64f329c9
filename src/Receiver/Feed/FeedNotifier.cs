using Npgsql;
using Receiver.Storage;

namespace Receiver.Feed;

/// <summary>
/// Knows the newest committed sequence number and wakes every feed reader of this instance when it grows. One
/// LISTEN connection per instance hears the commits of every instance (NOTIFY is sent in each commit of events);
/// commits of this instance are also signalled directly. Readers share one wake-up task, so a thousand idle
/// streams cost a thousand awaits of one task, not a thousand database connections.
/// </summary>
internal sealed partial class FeedNotifier(NpgsqlDataSource dataSource, ILogger<FeedNotifier> logger) : BackgroundService, IFeedSignal
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    private long _latest;
    private TaskCompletionSource _advanced = NewSignal();

    /// <summary>The newest sequence number known to be committed.</summary>
    public long Latest => Interlocked.Read(ref _latest);

    public void Committed(long sequenceNumber)
    {
        var known = Interlocked.Read(ref _latest);
        while (sequenceNumber > known)
        {
            var seen = Interlocked.CompareExchange(ref _latest, sequenceNumber, known);
            if (seen == known)
            {
                Wake();
                return;
            }
            known = seen;
        }
    }

    /// <summary>Returns once a sequence number beyond <paramref name="seen"/> is committed, or when the timeout passes.</summary>
    public async Task WaitBeyondAsync(long seen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Take the signal before reading Latest: a commit in between then completes the signal we hold.
        var advanced = Volatile.Read(ref _advanced).Task;
        if (Latest > seen || timeout <= TimeSpan.Zero) return;
        try
        {
            await advanced.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, out var sequenceNumber)) Committed(sequenceNumber);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {EventStore.FeedChannel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                // Whatever was committed while we were not listening.
                await using (var newest = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM events", connection))
                    Committed((long)(await newest.ExecuteScalarAsync(stoppingToken))!);
                Wake();
                delay = TimeSpan.FromMilliseconds(250);
                while (true)
                {
                    // A quiet connection is checked now and then: a half-open socket would otherwise wait forever.
                    if (await connection.WaitAsync(KeepAliveInterval, stoppingToken)) continue;
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteNonQueryAsync(stoppingToken);
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

    private void Wake() => Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed listener lost PostgreSQL ({ErrorMessage}); reconnecting in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, string errorMessage, TimeSpan delay);
}
