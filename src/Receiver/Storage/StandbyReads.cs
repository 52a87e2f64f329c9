using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Receiver.Storage;

/// <summary>
/// Whether a read of the query API or the feed may go to the standby of <c>ConnectionStrings:ReceiverStandby</c>, and
/// what the standby shows. Every check (at most a second apart) notes the primary's WAL position and the time, then asks
/// the standby how far it has replayed: once it has replayed a noted position, it holds every commit acknowledged
/// before that time. A read goes to the standby only while that time is within <c>Database:Standby:MaxLag</c> (so it
/// never shows state older than that), and only when the standby is known to show every event the read must see
/// (<see cref="Serves"/>); otherwise to the primary. Without a standby configured, nothing runs and every read goes
/// to the primary.
/// </summary>
/// <remarks>
/// The lag is measured against the primary's position, not as <c>now() - pg_last_xact_replay_timestamp()</c>, which
/// grows on an idle primary although the standby lacks nothing. The standby's newest sequence number is what the feed
/// waits for: NOTIFY is not replayed on a standby, so the feed's listener stays on the primary and a woken reader
/// waits here (<see cref="WaitToShowAsync"/>) until the standby shows what was committed, polled every few
/// milliseconds by one loop for all readers.
/// </remarks>
internal sealed partial class StandbyReads : BackgroundService
{
    private static readonly TimeSpan MaxCheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReplayPollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a read that must show more than the standby is known to show waits for it before going to the primary.</summary>
    internal static readonly TimeSpan CatchUpWait = TimeSpan.FromMilliseconds(100);

    /// <summary>Not a timestamp: the standby has not yet been seen to hold everything the primary had.</summary>
    private const long NeverCaughtUp = 0;

    private readonly NpgsqlDataSource _primary;
    private readonly TimeSpan _maxLag;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _clock;
    private readonly ILogger<StandbyReads> _logger;
    private readonly long _startedAt;

    // When the standby was last seen to hold every commit of the primary (a timestamp of _clock).
    private long _caughtUpAt = NeverCaughtUp;
    // The newest sequence number the standby is known to show; it only grows, as the standby's replay does.
    private long _sequence;
    // Whether the last check reached both servers.
    private volatile bool _reachable;
    // The newest sequence number a reader waits for the standby to show.
    private long _wanted;
    // Completed, and replaced, when a check ends or _sequence grows; and when _wanted grows.
    private TaskCompletionSource _progressed = NewSignal();
    private TaskCompletionSource _wantedRaised = NewSignal();

    public StandbyReads(IOptions<StandbyOptions> options, NpgsqlDataSource primary, TimeProvider clock, ILogger<StandbyReads> logger)
    {
        _primary = primary;
        _maxLag = options.Value.MaxLag;
        // Four checks within the bound: a standby that keeps up is never taken for one that fell behind.
        _checkInterval = _maxLag / 4 < MaxCheckInterval ? _maxLag / 4 : MaxCheckInterval;
        _clock = clock;
        _logger = logger;
        _startedAt = clock.GetTimestamp();
        DataSource = string.IsNullOrWhiteSpace(options.Value.ConnectionString) ? null : StorageSetup.DataSource(options.Value.ConnectionString);
    }

    /// <summary>The standby's connection pool; null when no standby is configured.</summary>
    public NpgsqlDataSource? DataSource { get; }

    /// <summary>
    /// Whether a read that must show every event up to <paramref name="mustShow"/> may go to the standby: one is
    /// configured, it was last seen within <c>Database:Standby:MaxLag</c> of the primary, and it is known to show that
    /// sequence number. Sequence numbers become visible in order there too (operations.md, "Reads from a standby").
    /// </summary>
    public bool Serves(long mustShow) => DataSource is not null && Fresh && Interlocked.Read(ref _sequence) >= mustShow;

    /// <summary>
    /// The newest sequence number up to <paramref name="committed"/> that the reads are sure to show: all of it on the
    /// primary, as far as the standby is known to show while reads go there.
    /// </summary>
    public long Showing(long committed) => Serves(0) ? Math.Min(committed, Interlocked.Read(ref _sequence)) : committed;

    /// <summary>
    /// Returns once the standby shows <paramref name="sequence"/>, once reads no longer go to it (then the primary
    /// shows it), or when <paramref name="timeout"/> has passed.
    /// </summary>
    public async Task WaitToShowAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (DataSource is null) return;
        RaiseTo(ref _wanted, sequence);
        Interlocked.Exchange(ref _wantedRaised, NewSignal()).TrySetResult();
        var started = _clock.GetTimestamp();
        while (true)
        {
            // Take the signal before looking: progress in between completes the signal we hold.
            var progressed = Volatile.Read(ref _progressed).Task;
            if (!Serves(0) || Interlocked.Read(ref _sequence) >= sequence) return;
            var left = timeout - _clock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return;
            // Staleness comes with time, not with a signal: wake when the bound is passed, and look again.
            var freshFor = _maxLag - _clock.GetElapsedTime(Interlocked.Read(ref _caughtUpAt));
            var wait = left < freshFor ? left : freshFor;
            if (wait <= TimeSpan.Zero) continue;
            try
            {
                await progressed.WaitAsync(wait, _clock, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>How long ago the standby was last seen to hold every commit of the primary (since the start, if never); null without one.</summary>
    public TimeSpan? Lag => DataSource is null ? null
        : _clock.GetElapsedTime(Interlocked.Read(ref _caughtUpAt) is var caughtUpAt and not NeverCaughtUp ? caughtUpAt : _startedAt);

    private bool Fresh =>
        _reachable && Interlocked.Read(ref _caughtUpAt) is var caughtUpAt and not NeverCaughtUp && _clock.GetElapsedTime(caughtUpAt) <= _maxLag;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        DataSource is null ? Task.CompletedTask : Task.WhenAll(CheckLagAsync(stoppingToken), FollowReplayAsync(stoppingToken));

    private async Task CheckLagAsync(CancellationToken stoppingToken)
    {
        // The primary's positions not yet replayed, oldest first, each with the time it was read at.
        var noted = new Queue<(long At, NpgsqlLogSequenceNumber Position)>();
        var said = StandbyState.Unknown;
        while (!stoppingToken.IsCancellationRequested)
        {
            string? failure = null;
            try
            {
                await CheckAsync(noted, stoppingToken);
                _reachable = true;
            }
            catch (Exception e)
            {
                _reachable = false;
                failure = e.Message;
            }
            Progressed();
            var state = !_reachable ? StandbyState.Unreachable : Serves(0) ? StandbyState.Serving : StandbyState.Behind;
            if (state != said && !stoppingToken.IsCancellationRequested)
            {
                if (state == StandbyState.Serving) LogServing(_logger, Lag!.Value.TotalSeconds);
                else if (state == StandbyState.Behind) LogBehind(_logger, Lag!.Value.TotalSeconds, _maxLag);
                else LogUnreachable(_logger, failure!);
                said = state;
            }
            await Task.Delay(_checkInterval, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private enum StandbyState
    {
        Unknown,
        Serving,
        Behind,
        Unreachable,
    }

    private async Task CheckAsync(Queue<(long At, NpgsqlLogSequenceNumber Position)> noted, CancellationToken stoppingToken)
    {
        // A check slower than the bound would only find the standby too far behind.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_maxLag);
        // The time first: every commit acknowledged before it lies at or before the position read after it.
        var at = _clock.GetTimestamp();
        await using (var primary = _primary.CreateCommand("SELECT pg_current_wal_lsn()"))
            noted.Enqueue((at, (NpgsqlLogSequenceNumber)(await primary.ExecuteScalarAsync(timeout.Token))!));
        await using var standby = DataSource!.CreateCommand(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), (SELECT coalesce(max(seq), 0) FROM events)");
        await using var reader = await standby.ExecuteReaderAsync(timeout.Token);
        await reader.ReadAsync(timeout.Token);
        var caughtUpAt = NeverCaughtUp;
        // Not in recovery: prefer-standby found no standby and connected to the primary, which lacks nothing.
        var replayed = reader.GetBoolean(0) ? reader.GetFieldValue<NpgsqlLogSequenceNumber>(1) : noted.Last().Position;
        while (noted.TryPeek(out var oldest) && oldest.Position <= replayed) caughtUpAt = noted.Dequeue().At;
        // A position noted longer ago than the bound can no longer make the standby fresh enough.
        while (noted.TryPeek(out var oldest) && _clock.GetElapsedTime(oldest.At) > _maxLag) noted.Dequeue();
        if (caughtUpAt != NeverCaughtUp) Interlocked.Exchange(ref _caughtUpAt, caughtUpAt);
        RaiseTo(ref _sequence, reader.GetInt64(2));
    }

    // One loop for every waiting reader: while one waits for a sequence number the standby is not known to show, read
    // the standby's newest every few milliseconds (replay usually takes less).
    private async Task FollowReplayAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var raised = Volatile.Read(ref _wantedRaised).Task;
            if (Interlocked.Read(ref _wanted) <= Interlocked.Read(ref _sequence) || !Serves(0))
            {
                await raised.WaitAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(_checkInterval);
                await using var newest = DataSource!.CreateCommand("SELECT coalesce(max(seq), 0) FROM events");
                if (RaiseTo(ref _sequence, (long)(await newest.ExecuteScalarAsync(timeout.Token))!)) Progressed();
                await Task.Delay(ReplayPollInterval, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception)
            {
                // Whether the standby is still to be read from is the checks' to say; until the next, poll no faster.
                await Task.Delay(_checkInterval, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Progressed() => Interlocked.Exchange(ref _progressed, NewSignal()).TrySetResult();

    private static bool RaiseTo(ref long target, long value)
    {
        var known = Interlocked.Read(ref target);
        while (value > known)
        {
            var seen = Interlocked.CompareExchange(ref target, value, known);
            if (seen == known) return true;
            known = seen;
        }
        return false;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Dispose()
    {
        base.Dispose();
        DataSource?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reads go to the standby: it holds what the primary had {LagSeconds:0.###} s ago")]
    private static partial void LogServing(ILogger logger, double lagSeconds);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Reads go to the primary: the standby holds only what the primary had {LagSeconds:0.###} s ago, more than Database:Standby:MaxLag ({MaxLag})")]
    private static partial void LogBehind(ILogger logger, double lagSeconds, TimeSpan maxLag);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reads go to the primary: the standby's lag could not be measured ({ErrorMessage})")]
    private static partial void LogUnreachable(ILogger logger, string errorMessage);
}
