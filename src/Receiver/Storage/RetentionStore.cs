using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Storage;

/// <summary>
/// The SQL of retention: the monthly partitions of <c>events</c> (created ahead, dropped when expired) and the batched
/// deletes of the small tables. Every instance runs it; a transaction-scoped advisory lock makes one do each step.
/// </summary>
internal sealed partial class RetentionStore(NpgsqlDataSource dataSource, ResilientDatabase database)
{
    private const long RetentionLock = 0x5265_7465_6E74;

    /// <summary>
    /// Dropping a partition locks all of <c>events</c> (ACCESS EXCLUSIVE on the parent), so ingest and the feed wait
    /// for it: a drop that cannot have its lock this soon (a long query holds the table) gives up, and the next upkeep
    /// tries again, rather than queue every insert behind it.
    /// </summary>
    private const string LockTimeout = "2s";

    /// <summary>Rows deleted per statement: each is a short transaction, so a large backlog never holds locks long.</summary>
    private const int DeleteBatch = 1000;

    /// <summary>The name of the partition of <c>events</c> that holds <paramref name="month"/> (its first instant, UTC).</summary>
    internal static string PartitionName(DateTimeOffset month) => $"events_{month.ToString("yyyy_MM", CultureInfo.InvariantCulture)}";

    [GeneratedRegex(@"^events_(\d{4})_(\d{2})$")]
    private static partial Regex PartitionNamePattern();

    /// <summary>
    /// Creates the partitions of <paramref name="months"/> that are missing; answers their names. Each is made apart
    /// and then attached, which locks <c>events</c> only in SHARE UPDATE EXCLUSIVE mode: inserts and reads go on.
    /// </summary>
    public Task<List<string>> CreatePartitionsAsync(IEnumerable<DateTimeOffset> months, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            var created = new List<string>();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var month in months)
            {
                var name = PartitionName(month);
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", ct, Value(RetentionLock));
                await using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection) { Parameters = { Value(name) } })
                {
                    if ((bool)(await exists.ExecuteScalarAsync(ct))!) continue;
                }
                await ExecuteAsync(connection, $"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", ct);
                await ExecuteAsync(connection,
                    $"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES FROM ('{Bound(month)}') TO ('{Bound(month.AddMonths(1))}')", ct);
                await transaction.CommitAsync(ct);
                created.Add(name);
            }
            return created;
        }, cancellationToken);

    /// <summary>
    /// Drops each partition of <c>events</c> whose whole month ended before <paramref name="cutoff"/>, recording in
    /// <c>expired_partitions</c>, in the same transaction, the highest sequence number it held (the feed's horizon).
    /// Answers the names dropped.
    /// </summary>
    public Task<List<string>> DropPartitionsBeforeAsync(DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            var dropped = new List<string>();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var name in await PartitionsAsync(connection, ct))
            {
                var match = PartitionNamePattern().Match(name);
                if (!match.Success) continue;
                var month = new DateTimeOffset(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                    int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 1, 0, 0, 0, TimeSpan.Zero);
                if (month.AddMonths(1) > cutoff) continue;

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, $"SET LOCAL lock_timeout = '{LockTimeout}'", ct);
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", ct, Value(RetentionLock));
                await ExecuteAsync(connection,
                    $"INSERT INTO expired_partitions (name, last_seq, dropped_at) SELECT $1, max(seq), $2 FROM {name}", ct, Value(name), Value(now));
                await ExecuteAsync(connection, $"DROP TABLE {name}", ct);
                await transaction.CommitAsync(ct);
                dropped.Add(name);
            }
            return dropped;
        }, cancellationToken);

    /// <summary>Deletes the rejected events AP last sent before <paramref name="cutoff"/>; answers how many.</summary>
    public Task<long> DeleteRejectedEventsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        DeleteInBatchesAsync("rejected_events", "last_received_at", cutoff, cancellationToken);

    /// <summary>Deletes the reconciliation runs started before <paramref name="cutoff"/>; answers how many.</summary>
    public Task<long> DeleteReconciliationRunsBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        DeleteInBatchesAsync("reconciliation_runs", "started_at", cutoff, cancellationToken);

    // Each batch is a statement of its own, so a retry repeats one batch, never the whole delete.
    private async Task<long> DeleteInBatchesAsync(string table, string instant, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long deleted = 0;
        int batch;
        do
        {
            batch = await database.ExecuteAsync(
                $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {instant} < $1 LIMIT {DeleteBatch})",
                [Value(cutoff)], cancellationToken);
            deleted += batch;
        }
        while (batch == DeleteBatch);
        return deleted;
    }

    private static async Task<List<string>> PartitionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY c.relname",
            connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Bound(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ss'+00'", CultureInfo.InvariantCulture);
}
