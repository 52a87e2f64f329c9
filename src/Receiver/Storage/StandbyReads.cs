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
/// milliseconds by one loop for all readers, while any waits.
/// What is known is known of one server, the one the checks last reached through the standby's connection string: when
/// another answers there, it starts again from nothing. A server not in recovery serves no reads: the primary itself
/// (its own pool serves them), or a promoted standby, which lacks whatever the primary commits after.
/// </remarks>
internal sealed partial class StandbyReads : BackgroundService
{
    private static readonly TimeSpan MaxCheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxCheckTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReplayPollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a read that must show more than the standby is known to show waits for it before going to the primary.</summary>
    internal static readonly TimeSpan CatchUpWait = TimeSpan.FromMilliseconds(100);

    /// <summary>Not a timestamp: the standby has not yet been seen to hold everything the primary had.</summary>
    private const long NeverCaughtUp = 0;

    private readonly TimeSpan _maxLag;
    private readonly TimeSpan _checkInterval;
    private readonly TimeSpan _checkTimeout;
    private readonly TimeProvider _clock;
    private readonly ILogger<StandbyReads> _logger;
    private readonly long _startedAt;
    // Connections of their own, not the pools': a pool the app's reads or writes keep busy would make the checks
    // time out, and a busy standby look like one that is down.
    private readonly KeptConnection _primaryForChecks;
    private readonly KeptConnection _standbyForChecks;
    private readonly KeptConnection _standbyForReplay;

    // What follows is about one server, the one the checks last reached through the standby's connection string
    // (_server): when another answers there (a restarted standby, a name that moved), it starts again from nothing.
    // Changed together under _gate; read without it.
    private readonly Lock _gate = new();
    private ServerIdentity? _server;
    // Since when _server has been measured (the start, for the first).
    private long _measuredSince;
    // When the standby was last seen to hold every commit of the primary (a timestamp of _clock).
    private long _caughtUpAt = NeverCaughtUp;
    // The newest sequence number the standby is known to show; it only grows, as the standby's replay does.
    private long _sequence;
    // The newest sequence number a reader waits for the standby to show, and how many readers wait.
    private long _wanted;
    private int _waiting;
    // Whether the last check found a standby in recovery (not the primary, nor a promoted server) and no read on it has
    // failed since.
    private volatile bool _serving;
    // Completed, and replaced, when a check ends or _sequence grows; and when _wanted grows or a first reader waits.
    private TaskCompletionSource _progressed = Atomic.NewSignal();
    private TaskCompletionSource _wantedRaised = Atomic.NewSignal();

    public StandbyReads(IOptions<StandbyOptions> options, IOptions<DatabaseOptions> database, TimeProvider clock, ILogger<StandbyReads> logger)
    {
        _maxLag = options.Value.MaxLag;
        // Four checks within the bound: a standby that keeps up is never taken for one that fell behind.
        _checkInterval = _maxLag / 4 < MaxCheckInterval ? _maxLag / 4 : MaxCheckInterval;
        // A check that hangs (a frozen standby) holds nothing else up, but is given up soon: the next one may succeed.
        _checkTimeout = _maxLag < MaxCheckTimeout ? _maxLag : MaxCheckTimeout;
        _clock = clock;
        _logger = logger;
        _startedAt = clock.GetTimestamp();
        _measuredSince = _startedAt;
        var standby = options.Value.ConnectionString;
        DataSource = string.IsNullOrWhiteSpace(standby) ? null : StorageSetup.DataSource(standby);
        _primaryForChecks = new KeptConnection(database.Value.PrimaryConnectionString, _checkTimeout);
        _standbyForChecks = new KeptConnection(standby, _checkTimeout);
        _standbyForReplay = new KeptConnection(standby, _checkTimeout);
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
        var first = Interlocked.Increment(ref _waiting) == 1;
        try
        {
            // The poll loop sleeps while nobody waits or it has nothing more to look for: wake it when that changes.
            if (Atomic.RaiseTo(ref _wanted, sequence) | first) Interlocked.Exchange(ref _wantedRaised, Atomic.NewSignal()).TrySetResult();
            var started = _clock.GetTimestamp();
            while (true)
            {
                // Take the signal before looking: progress in between completes the signal we hold.
                var progressed = Volatile.Read(ref _progressed).Task;
                if (!Serves(0) || Interlocked.Read(ref _sequence) >= sequence) return;
                var left = timeout - _clock.GetElapsedTime(started);
                if (left <= TimeSpan.Zero) return;
                // Staleness comes with time, not with a signal: wake when the bound is passed, and look again (at
                // least a moment later: exactly at the bound the standby still counts as fresh).
                var freshFor = _maxLag - _clock.GetElapsedTime(Interlocked.Read(ref _caughtUpAt));
                var wait = left < freshFor ? left : freshFor > TimeSpan.FromMilliseconds(1) ? freshFor : TimeSpan.FromMilliseconds(1);
                try
                {
                    await progressed.WaitAsync(wait, _clock, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>
    /// A read failed on the standby (it timed out, lost its connection, or PostgreSQL refused it, e.g. a column a
    /// migration just added that the standby has not replayed yet): reads go to the primary until the next check
    /// finds the standby serving again.
    /// </summary>
    public void ReadFailed(string errorMessage)
    {
        if (!_serving) return;
        _serving = false;
        Progressed();
        LogReadFailed(_logger, errorMessage);
    }

    /// <summary>
    /// How long ago the standby was last seen to hold every commit of the primary (if never, since the start or since
    /// another server answered); null without one.
    /// </summary>
    public TimeSpan? Lag => DataSource is null ? null
        : _clock.GetElapsedTime(Interlocked.Read(ref _caughtUpAt) is var caughtUpAt and not NeverCaughtUp ? caughtUpAt : Interlocked.Read(ref _measuredSince));

    private bool Fresh => _serving && CaughtUpWithinBound;

    private bool CaughtUpWithinBound =>
        Interlocked.Read(ref _caughtUpAt) is var caughtUpAt and not NeverCaughtUp && _clock.GetElapsedTime(caughtUpAt) <= _maxLag;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (DataSource is null) return;
        await Task.WhenAll(CheckLagAsync(stoppingToken), FollowReplayAsync(stoppingToken));
        // Closed once neither loop uses them: a connection is not to be closed while a statement runs on it.
        await _primaryForChecks.DisposeAsync();
        await _standbyForChecks.DisposeAsync();
        await _standbyForReplay.DisposeAsync();
    }

    private async Task CheckLagAsync(CancellationToken stoppingToken)
    {
        // The primary's positions not yet replayed, oldest first, each with the time it was read at.
        var noted = new Queue<(long At, NpgsqlLogSequenceNumber Position)>();
        var said = StandbyState.Unknown;
        while (!stoppingToken.IsCancellationRequested)
        {
            string? failure = null;
            StandbyState state;
            try
            {
                state = await CheckAsync(noted, stoppingToken);
            }
            catch (Exception e)
            {
                state = StandbyState.Unreachable;
                failure = e.Message;
            }
            _serving = state == StandbyState.Serving;
            Progressed();
            // Behind at the start is only not caught up yet: said once the bound has passed without it.
            if (state == StandbyState.Behind && said == StandbyState.Unknown && _clock.GetElapsedTime(_startedAt) <= _maxLag)
                state = StandbyState.Unknown;
            if (state != said && !stoppingToken.IsCancellationRequested)
            {
                if (state == StandbyState.Serving) LogServing(_logger, Lag!.Value.TotalSeconds);
                else if (state == StandbyState.Behind) LogBehind(_logger, Lag!.Value.TotalSeconds, _maxLag);
                else if (state == StandbyState.Primary) LogReachedPrimary(_logger);
                else if (state == StandbyState.NotInRecovery) LogNotInRecovery(_logger);
                else if (state == StandbyState.Unreachable) LogUnreachable(_logger, failure!);
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
        // ConnectionStrings:ReceiverStandby reached the primary itself (prefer-standby, no standby answering).
        Primary,
        // It reached a server that is not in recovery and is not the primary: a promoted standby, a split brain.
        NotInRecovery,
    }

    /// <summary>Which server a connection reached: its address and port as it sees them, and when it started.</summary>
    /// <remarks>
    /// Not <c>system_identifier</c>, which a standby shares with its primary. A server that restarts is another one
    /// here: it may come back having replayed less than it showed before.
    /// </remarks>
    private sealed record ServerIdentity(string? Address, int? Port, DateTime StartedAt)
    {
        public const string Columns = "inet_server_addr()::text, inet_server_port(), pg_postmaster_start_time()";

        public static ServerIdentity Read(NpgsqlDataReader reader, int first) => new(
            reader.IsDBNull(first) ? null : reader.GetString(first),
            reader.IsDBNull(first + 1) ? null : reader.GetInt32(first + 1),
            reader.GetDateTime(first + 2));
    }

    /// <summary>
    /// The newest sequence number a reader can see: the newest event's, or, when retention has dropped every event,
    /// the highest it dropped. The same on the primary (where a list walk is pinned) as on the standby (what it shows).
    /// </summary>
    internal const string NewestSequenceSql = "coalesce((SELECT max(seq) FROM events), (SELECT max(last_seq) FROM expired_partitions), 0)";

    private async Task<StandbyState> CheckAsync(Queue<(long At, NpgsqlLogSequenceNumber Position)> noted, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_checkTimeout);
        // The time first: every commit acknowledged before it lies at or before the position read after it. The insert
        // position, not the write position: a commit answered under synchronous_commit=off may lie beyond the latter.
        var at = _clock.GetTimestamp();
        var (position, primary) = await _primaryForChecks.ReadAsync(
            $"SELECT pg_current_wal_insert_lsn(), {ServerIdentity.Columns}",
            reader => (reader.GetFieldValue<NpgsqlLogSequenceNumber>(0), ServerIdentity.Read(reader, 1)), timeout.Token);
        noted.Enqueue((at, position));
        // A position noted longer ago than the bound can no longer make the standby fresh enough.
        while (noted.TryPeek(out var oldest) && _clock.GetElapsedTime(oldest.At) > _maxLag) noted.Dequeue();
        var (inRecovery, replayed, newest, server) = await _standbyForChecks.ReadAsync(
            $"SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), {NewestSequenceSql}, {ServerIdentity.Columns}",
            reader => (reader.GetBoolean(0), reader.IsDBNull(1) ? default : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1),
                reader.GetInt64(2), ServerIdentity.Read(reader, 3)),
            timeout.Token);
        lock (_gate)
        {
            if (server != _server)
            {
                // Nothing measured on another server says anything of this one.
                if (_server is not null) Interlocked.Exchange(ref _measuredSince, at);
                _server = server;
                Interlocked.Exchange(ref _caughtUpAt, NeverCaughtUp);
                Interlocked.Exchange(ref _sequence, 0);
                Interlocked.Exchange(ref _wanted, 0);
            }
            if (inRecovery)
            {
                var caughtUpAt = NeverCaughtUp;
                while (noted.TryPeek(out var oldest) && oldest.Position <= replayed) caughtUpAt = noted.Dequeue().At;
                if (caughtUpAt != NeverCaughtUp) Interlocked.Exchange(ref _caughtUpAt, caughtUpAt);
                Atomic.RaiseTo(ref _sequence, newest);
            }
            else if (server == primary)
            {
                // The primary itself lacks nothing, but reads go to its own pool: the standby's pool may hold
                // connections to a standby that is back, and behind.
                Interlocked.Exchange(ref _caughtUpAt, at);
                Atomic.RaiseTo(ref _sequence, newest);
                noted.Clear();
            }
            // Else promoted, or another primary: it replays nothing more, and lacks what the primary commits from now.
        }
        if (!inRecovery)
        {
            // Not kept: the next check looks for a standby again (prefer-standby connects to the primary only while
            // none answers; a name may point to a standby again).
            await _standbyForChecks.CloseAsync();
            return server == primary ? StandbyState.Primary : StandbyState.NotInRecovery;
        }
        return CaughtUpWithinBound ? StandbyState.Serving : StandbyState.Behind;
    }

    // One loop for every waiting reader: while one waits for a sequence number the standby is not known to show, read
    // the standby's newest every few milliseconds (replay usually takes less).
    private async Task FollowReplayAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var raised = Volatile.Read(ref _wantedRaised).Task;
            var progressed = Volatile.Read(ref _progressed).Task;
            if (Volatile.Read(ref _waiting) == 0 || Interlocked.Read(ref _wanted) <= Interlocked.Read(ref _sequence) || !Serves(0))
            {
                // A waiter that comes raises _wanted or finds it raised; a check may make the standby serve again.
                await Task.WhenAny(raised, progressed).WaitAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(_checkTimeout);
                var (newest, server) = await _standbyForReplay.ReadAsync(
                    $"SELECT {NewestSequenceSql}, {ServerIdentity.Columns}",
                    reader => (reader.GetInt64(0), ServerIdentity.Read(reader, 1)), timeout.Token);
                bool grew;
                lock (_gate) grew = server == _server && Atomic.RaiseTo(ref _sequence, newest);
                if (grew) Progressed();
                // Reached another server than the checks did: look for theirs again next time.
                if (server != _server) await _standbyForReplay.CloseAsync();
                await Task.Delay(ReplayPollInterval, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception)
            {
                // Whether the standby is still to be read from is the checks' to say; until the next, poll no faster.
                await Task.Delay(_checkInterval, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Progressed() => Interlocked.Exchange(ref _progressed, Atomic.NewSignal()).TrySetResult();

    /// <summary>
    /// One connection outside the pools, kept open between uses and opened again after a failure (it is then closed:
    /// a statement cut off by the timeout leaves it in no state to be used again).
    /// </summary>
    private sealed class KeptConnection(string? connectionString, TimeSpan timeout) : IAsyncDisposable
    {
        // Cancelled at the timeout without waiting for the server to confirm (a frozen one never does), connecting
        // within it too.
        private readonly string _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            CancellationTimeout = -1,
            Timeout = (int)Math.Ceiling(timeout.TotalSeconds),
        }.ConnectionString;

        private NpgsqlConnection? _open;

        public async Task<T> ReadAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
        {
            try
            {
                if (_open is null)
                {
                    _open = new NpgsqlConnection(_connectionString);
                    await _open.OpenAsync(cancellationToken);
                }
                await using var command = new NpgsqlCommand(sql, _open);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                return read(reader);
            }
            catch
            {
                await CloseAsync();
                throw;
            }
        }

        public async ValueTask CloseAsync()
        {
            if (_open is not { } open) return;
            _open = null;
            await open.DisposeAsync();
        }

        public ValueTask DisposeAsync() => CloseAsync();
    }

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

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reads go to the primary: ConnectionStrings:ReceiverStandby reached the primary itself (no standby answered)")]
    private static partial void LogReachedPrimary(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Reads go to the primary: ConnectionStrings:ReceiverStandby reached a server that is not in recovery and is not the primary Receiver writes to (a promoted standby?)")]
    private static partial void LogNotInRecovery(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reads go to the primary until the next check of the standby: a read failed there ({ErrorMessage})")]
    private static partial void LogReadFailed(ILogger logger, string errorMessage);
}
