using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Storage;

/// <summary>The tables partitioned by month, each named after the table: <c>events_2026_01</c>, ...</summary>
internal static class PartitionedTables
{
    /// <summary>By <c>received_at</c>; a dropped month's highest sequence number is the feed's horizon.</summary>
    public const string Events = "events";

    /// <summary>By <c>received_month</c>, the month of a row's first attempt.</summary>
    public const string RejectedEvents = "rejected_events";
}

/// <summary>
/// The SQL of retention: the monthly partitions of <see cref="PartitionedTables"/> (created ahead, dropped when expired)
/// and the batched delete of reconciliation runs. Every instance runs it; a transaction-scoped advisory lock makes one
/// do each step.
/// </summary>
internal sealed partial class RetentionStore(NpgsqlDataSource dataSource, ResilientDatabase database)
{
    private const long RetentionLock = 0x5265_7465_6E74;

    /// <summary>
    /// Dropping a partition locks its whole table (ACCESS EXCLUSIVE on the parent), so ingest and the feed wait for it: a drop that cannot have its lock this soon (a long query holds the table) gives up, and the next upkeep
    /// tries again, rather than queue every insert behind it.
    /// </summary>
    private const string LockTimeout = "2s";

    /// <summary>Rows deleted per statement: each is a short transaction, so a large backlog never holds locks long.</summary>
    private const int DeleteBatch = 1000;

    /// <summary>The name of the partition of <paramref name="table"/> that holds <paramref name="month"/> (its first instant, UTC).</summary>
    internal static string PartitionName(string table, DateTimeOffset month) => $"{table}_{month.ToString("yyyy_MM", CultureInfo.InvariantCulture)}";

    [GeneratedRegex(@"_(\d{4})_(\d{2})$")]
    private static partial Regex PartitionMonthPattern();

    /// <summary>
    /// Creates the partitions of <paramref name="table"/> for <paramref name="months"/> that are missing; answers their
    /// names. Each is made apart and then attached, which locks the table only in SHARE UPDATE EXCLUSIVE mode: inserts
    /// and reads go on.
    /// </summary>
    public Task<List<string>> CreatePartitionsAsync(string table, IEnumerable<DateTimeOffset> months, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            var created = new List<string>();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var month in months)
            {
                var name = PartitionName(table, month);
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", ct, Value(RetentionLock));
                if (await ExistsAsync(connection, name, ct)) continue;
                await ExecuteAsync(connection, $"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", ct);
                await ExecuteAsync(connection,
                    $"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{Bound(month)}') TO ('{Bound(month.AddMonths(1))}')", ct);
                await transaction.CommitAsync(ct);
                created.Add(name);
            }
            return created;
        }, cancellationToken);

    /// <summary>
    /// Drops each partition of <paramref name="table"/> whose whole month ended before <paramref name="cutoff"/>,
    /// recording it in <c>expired_partitions</c> in the same transaction, for <c>events</c> with the highest sequence
    /// number it held (the feed's horizon). Answers the names dropped.
    /// </summary>
    public Task<List<string>> DropPartitionsBeforeAsync(string table, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            var dropped = new List<string>();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var name in await PartitionsAsync(connection, table, ct))
            {
                var match = PartitionMonthPattern().Match(name);
                if (!match.Success) continue;
                var month = new DateTimeOffset(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                    int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 1, 0, 0, 0, TimeSpan.Zero);
                if (month.AddMonths(1) > cutoff) continue;

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, $"SET LOCAL lock_timeout = '{LockTimeout}'", ct);
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", ct, Value(RetentionLock));
                // Another instance may have dropped it while this one waited for the lock.
                if (!await ExistsAsync(connection, name, ct)) continue;
                // One row per partition, whatever it holds: the highest sequence number of events, none of rejected events.
                var lastSeq = table == PartitionedTables.Events ? $"(SELECT max(seq) FROM {name})" : "NULL";
                await ExecuteAsync(connection,
                    $"INSERT INTO expired_partitions (name, last_seq, dropped_at) VALUES ($1, {lastSeq}, $2)", ct, Value(name), Value(now));
                await ExecuteAsync(connection, $"DROP TABLE {name}", ct);
                await transaction.CommitAsync(ct);
                dropped.Add(name);
            }
            return dropped;
        }, cancellationToken);

    /// <summary>
    /// Deletes the reconciliation runs started before <paramref name="cutoff"/>; answers how many. A small table, one
    /// row a run: not worth partitioning.
    /// </summary>
    public Task<long> DeleteReconciliationRunsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        DeleteBeforeAsync("reconciliation_runs", "started_at", cutoff, DeleteBatch, _ => { }, cancellationToken);

    /// <summary>
    /// Deletes the rows of <paramref name="table"/> (keyed by <c>id</c>) whose <paramref name="column"/> is before
    /// <paramref name="cutoff"/>, <paramref name="batch"/> a statement: each statement's locks and WAL stay short, and a
    /// retry repeats one batch, never the whole delete. <paramref name="deleted"/> hears of each batch as it commits;
    /// answers how many in all.
    /// </summary>
    public async Task<long> DeleteBeforeAsync(
        string table, string column, DateTimeOffset cutoff, int batch, Action<int> deleted, CancellationToken cancellationToken)
    {
        long total = 0;
        int count;
        do
        {
            count = await database.ExecuteAsync(
                $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} < $1 LIMIT {batch})", [Value(cutoff)], cancellationToken);
            deleted(count);
            total += count;
        }
        while (count == batch);
        return total;
    }

    private static async Task<List<string>> PartitionsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname",
            connection) { Parameters = { Value(table) } };
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection) { Parameters = { Value(name) } };
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Bound(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ss'+00'", CultureInfo.InvariantCulture);
}
