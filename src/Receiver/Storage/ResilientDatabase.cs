using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Receiver.Storage;

/// <summary>
/// Runs one idempotent database operation within its timeout (<c>Database:Timeout</c> for writes,
/// <c>Database:ReadTimeout</c> for the reads of the query API and the feed), retrying transient failures (a restarted
/// server leaves dead connections in the pool), and turns every database failure into
/// <see cref="DatabaseUnavailableException"/> so callers answer 503 rather than 500. There is one for writes, and
/// one for reads registered under the key <see cref="DatabaseWork.Read"/>; both share the primary's connection pool,
/// and a read goes to the standby's first whenever <see cref="StandbyReads"/> says it may serve it. One attempt there,
/// within a short timeout of its own: when it fails in any way, the read is made on the primary at once.
/// </summary>
internal sealed partial class ResilientDatabase(
    NpgsqlDataSource dataSource, StandbyReads standby, IOptions<DatabaseOptions> options, DatabaseMetrics metrics,
    ILogger<ResilientDatabase> logger, DatabaseWork work = DatabaseWork.Write)
{
    /// <summary>
    /// What a read passes as <c>mustShow</c> when only the primary may serve it: no standby is known to show
    /// everything (what is not an event, such as a retention drop, has no sequence number to wait for).
    /// </summary>
    public const long Everything = long.MaxValue;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The most a read waits for the standby before trying the primary.</summary>
    private static readonly TimeSpan MaxStandbyAttempt = TimeSpan.FromSeconds(2);

    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken requestAborted) =>
        RunWithinAsync(operation, work == DatabaseWork.Read ? options.Value.ReadTimeout : options.Value.Timeout, requestAborted);

    private async Task<T> RunWithinAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, CancellationToken requestAborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        deadline.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero);
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                // WaitAsync: answer at the deadline even while Npgsql is still cancelling on a dead socket.
                var result = await operation(deadline.Token).WaitAsync(deadline.Token);
                // Past the deadline, success is not taken for done. Npgsql cancels a statement at the deadline, and
                // PostgreSQL ends a commit's wait for a synchronous standby on a cancel by keeping the commit on the
                // primary alone and reporting success; the statement can end so before WaitAsync sees the deadline.
                deadline.Token.ThrowIfCancellationRequested();
                return result;
            }
            catch (Exception e) when (!requestAborted.IsCancellationRequested && IsDatabaseFailure(e, deadline.Token))
            {
                if (MayBeFailover(e)) ForgetHostRoles();
                if (deadline.IsCancellationRequested || !IsTransient(e))
                {
                    LogUnavailable(logger, e.GetType().Name, e.Message);
                    metrics.DatabaseFailed(work, timedOut: IsTimeout(e));
                    throw deadline.IsCancellationRequested
                        ? new DatabaseUnavailableException(TooSlow, e)
                        : new DatabaseUnavailableException("PostgreSQL refused the operation.", e) { StatementRefused = true };
                }

                try
                {
                    await Task.Delay(backoff, deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    metrics.DatabaseFailed(work, timedOut: IsTimeout(e));
                    throw new DatabaseUnavailableException(TooSlow, e);
                }
                backoff = backoff * 2 < LastBackoff ? backoff * 2 : LastBackoff;
            }
        }
    }

    private string TooSlow => work == DatabaseWork.Read
        ? "PostgreSQL did not finish the read within Database:ReadTimeout."
        : "PostgreSQL did not answer in time.";

    // One statement each; every retry builds a command of its own, since a parameter belongs to one command. A read
    // may say which events it must show (mustShow: the newest sequence number among them): a standby then serves it
    // only when known to show them; without it, any standby within Database:Standby:MaxLag may.

    /// <summary>Reads the rows of one query.</summary>
    public Task<List<T>> ListAsync<T>(
        string sql, IReadOnlyList<NpgsqlParameter> parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken,
        long mustShow = 0) =>
        ReadAsync(mustShow, async (source, ct) =>
        {
            await using var command = Command(source, sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await RowsAsync(reader, read, ct);
        }, cancellationToken);

    /// <summary>
    /// Reads a list with a plan made for this page's values. Npgsql prepares a statement it sees often
    /// (<c>Max Auto Prepare</c>), and PostgreSQL then may switch to a generic plan, made without the values: for
    /// these lists it guesses that a third of the table lies past any sequence number and scans it all (0.1 to 0.8 s
    /// a page instead of 3 to 13 ms, docs/performance.md). The setting is local to the one implicit transaction the
    /// batch runs in (one round trip), so the pooled connection keeps nothing of it.
    /// </summary>
    public Task<List<T>> ListCustomPlannedAsync<T>(
        string sql, IReadOnlyList<NpgsqlParameter> parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken,
        long mustShow = 0) =>
        ReadAsync(mustShow, async (source, ct) =>
        {
            await using var batch = source.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ForceCustomPlan));
            var query = new NpgsqlBatchCommand(sql);
            foreach (var parameter in parameters) query.Parameters.Add(parameter.Clone());
            batch.BatchCommands.Add(query);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            return await RowsAsync(reader, read, ct);
        }, cancellationToken);

    private const string ForceCustomPlan = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)";

    private static async Task<List<T>> RowsAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(read(reader));
        return rows;
    }

    /// <summary>The first column of the first row, or default when there is none (or it is NULL).</summary>
    public Task<T?> ScalarAsync<T>(
        string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken, long mustShow = 0) =>
        ReadAsync(mustShow, async (source, ct) =>
        {
            await using var command = Command(source, sql, parameters);
            return await command.ExecuteScalarAsync(ct) is T value ? value : default;
        }, cancellationToken);

    /// <summary>Runs a statement; the number of rows it affected.</summary>
    public Task<int> ExecuteAsync(string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = Command(dataSource, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>
    /// A read that must show more than the standby is known to show waits a moment for it (a list walk's pin, read
    /// from the standby itself, is one it already shows) rather than go to the primary at once.
    /// </summary>
    private Task<T> ReadAsync<T>(
        long mustShow, Func<NpgsqlDataSource, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        if (work == DatabaseWork.Write) return RunAsync(ct => operation(dataSource, ct), cancellationToken);
        // Without a standby every read goes to the primary: no layer of its own around it (the query API's hot path).
        if (standby.DataSource is null) return RunWithinAsync(ct => ReadOnPrimary(operation, ct), options.Value.ReadTimeout, cancellationToken);
        return ReadFromStandbyFirstAsync(mustShow, operation, cancellationToken);
    }

    private Task<T> ReadOnPrimary<T>(Func<NpgsqlDataSource, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        metrics.Read(onStandby: false);
        return operation(dataSource, cancellationToken);
    }

    private async Task<T> ReadFromStandbyFirstAsync<T>(
        long mustShow, Func<NpgsqlDataSource, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (mustShow is > 0 and < Everything) await standby.WaitToShowAsync(mustShow, StandbyReads.CatchUpWait, cancellationToken);
        if (standby.Serves(mustShow))
        {
            metrics.Read(onStandby: true);
            // Short, so that a standby that does not answer (frozen, its network cut) costs a read this much, not its
            // whole Database:ReadTimeout: the primary has the rest.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(options.Value.ReadTimeout / 3 < MaxStandbyAttempt ? options.Value.ReadTimeout / 3 : MaxStandbyAttempt);
            try
            {
                return await operation(standby.DataSource!, attempt.Token).WaitAsync(attempt.Token);
            }
            // Any failure, a PostgresException too: the standby may lack what a migration just added (42703, 42P01).
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsDatabaseFailure(e, attempt.Token))
            {
                standby.ReadFailed(e.Message);
            }
        }
        return await RunWithinAsync(ct => ReadOnPrimary(operation, ct), options.Value.ReadTimeout - Stopwatch.GetElapsedTime(started), cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlDataSource source, string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        var command = source.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.Add(parameter.Clone());
        return command;
    }

    private static bool IsDatabaseFailure(Exception e, CancellationToken deadline) =>
        e is NpgsqlException or TimeoutException or UnreplicatedCommitException
        || (e is OperationCanceledException && deadline.IsCancellationRequested);

    /// <summary>
    /// The server or the connection failed, not the statement: another try may succeed. That includes each face of a
    /// failover: the primary's connections broken, every host refusing connections or none of them the primary yet
    /// (Npgsql's "No suitable host", which it does not call transient), a server shutting down (57P01) or starting up
    /// (57P03), and a host taken for the primary that refuses writes (25006: a standby not yet promoted, or an old
    /// primary come back as a standby). And a commit whose wait for the synchronous standby was cancelled: the next try
    /// waits for the standby again.
    /// </summary>
    private static bool IsTransient(Exception e) => e switch
    {
        PostgresException refused => refused.IsTransient || refused.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException or TimeoutException or UnreplicatedCommitException => true,
        _ => false,
    };

    /// <summary>
    /// With several hosts, Npgsql remembers for <c>Host Recheck Seconds</c> (10 by default) which one is the primary,
    /// which a standby and which is down, and skips meanwhile those that do not fit: a standby promoted just after it
    /// was seen as one would wait that long for its first write. A failure of the server may be a failover, so every
    /// host is asked afresh at the next try, and writes reach the new primary as soon as it takes them.
    /// </summary>
    private void ForgetHostRoles() => (dataSource as NpgsqlMultiHostDataSource)?.ClearDatabaseStates();

    /// <summary>
    /// A failure of a server or its connection, which a failover causes: not a transient refusal of the statement
    /// (a serialization failure, a deadlock, too many connections, a lock timeout) nor a wait for the pool, after
    /// which asking every host its role again would cost each new connection a round trip and tell nothing new.
    /// </summary>
    private static bool MayBeFailover(Exception e) => e switch
    {
        PostgresException refused => refused.SqlState is PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException => true,
        _ => false,
    };

    /// <summary>PostgreSQL was too slow, as opposed to failing (refusing the connection, the statement, ...).</summary>
    private static bool IsTimeout(Exception e) => e is OperationCanceledException or TimeoutException || e.InnerException is TimeoutException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable ({ErrorType}): {ErrorMessage}")]
    private static partial void LogUnavailable(ILogger logger, string errorType, string errorMessage);
}
