using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Receiver.AnchorPlatform;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Reconciliation;

/// <summary>Run records, and what reconciliation reads of our state, in plain SQL like the other stores.</summary>
internal sealed class ReconciliationStore(ResilientDatabase database, IOptions<DatabaseOptions> databaseOptions)
{
    /// <summary>Messages kept per run; the count goes on. A Platform API that is down fails every call the same way.</summary>
    public const int MaxKeptErrors = 100;

    /// <summary>Any fixed number, the same in every instance: "Reconcil" in ASCII.</summary>
    private const long RunLockKey = 0x5265636F6E63696C;

    /// <summary>
    /// The run lock on a connection of its own, outside the pool: closing it ends the session and so releases the
    /// lock, whatever happened (a pooled connection would keep it while idle). Null when another session holds it.
    /// </summary>
    public async Task<NpgsqlConnection?> TryTakeRunLockAsync(CancellationToken cancellationToken)
    {
        var connection = databaseOptions.Value.UnpooledConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = RunLockKey } } };
            if (await command.ExecuteScalarAsync(cancellationToken) is true) return connection;
            await connection.DisposeAsync();
            return null;
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync();
            throw new DatabaseUnavailableException($"PostgreSQL refused the reconciliation lock ({e.Message}).", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private const string Columns =
        "id, trigger, status, started_at, finished_at, transactions_checked, gaps_closed, error_count, errors::text";

    public async Task<ReconciliationRun> StartAsync(string trigger, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        (await database.ListAsync(
            $"""
             INSERT INTO reconciliation_runs (trigger, status, started_at, transactions_checked, gaps_closed, error_count, errors)
             VALUES ($1, 'running', $2, 0, 0, 0, '[]') RETURNING {Columns}
             """,
            [Value(trigger), Value(startedAt)], Read, cancellationToken)).Single();

    /// <summary>
    /// Closes runs left <c>running</c> by an instance that died: called under the run lock, so none of them is
    /// really running.
    /// </summary>
    public Task AbandonRunningAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            UPDATE reconciliation_runs
            SET status = 'failed', finished_at = $1, error_count = error_count + 1,
                errors = errors || '["the instance running it stopped before it finished"]'::jsonb
            WHERE status = 'running'
            """,
            [Value(now)], cancellationToken);

    public Task FinishAsync(long id, string status, DateTimeOffset finishedAt, RunTally tally, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            UPDATE reconciliation_runs
            SET status = @status, finished_at = @finished_at, transactions_checked = @transactions_checked,
                gaps_closed = @gaps_closed, error_count = @error_count, errors = @errors
            WHERE id = @id
            """,
            [
                Named("id", id), Named("status", status), Named("finished_at", finishedAt),
                Named("transactions_checked", tally.TransactionsChecked), Named("gaps_closed", tally.GapsClosed),
                Named("error_count", tally.ErrorCount), Named("errors", JsonSerializer.Serialize(tally.Errors), NpgsqlDbType.Jsonb),
            ],
            cancellationToken);

    /// <summary>When the newest run began, on any instance: what the schedule counts the interval from.</summary>
    public async Task<DateTimeOffset?> LatestStartAsync(CancellationToken cancellationToken) =>
        await database.ScalarAsync<DateTime?>("SELECT max(started_at) FROM reconciliation_runs", [], cancellationToken) is { } latest
            ? new DateTimeOffset(latest, TimeSpan.Zero)
            : null;

    public Task<List<ReconciliationRun>> RunsAsync(int limit, CancellationToken cancellationToken) =>
        database.ListAsync($"SELECT {Columns} FROM reconciliation_runs ORDER BY id DESC LIMIT $1", [Value(limit)], Read, cancellationToken);

    public async Task<ReconciliationRun?> RunAsync(long id, CancellationToken cancellationToken) =>
        (await database.ListAsync($"SELECT {Columns} FROM reconciliation_runs WHERE id = $1", [Value(id)], Read, cancellationToken))
        .SingleOrDefault();

    /// <summary>
    /// The order key of our newest snapshot, as AP wrote it: <c>updated_at</c>, else <c>started_at</c>, read from the
    /// snapshot's text because the <c>order_key</c> column keeps microseconds only, truncated, and reconciliation must
    /// round the nanoseconds as AP's database does (<see cref="PlatformSnapshot.IsNewerThan"/>).
    /// </summary>
    private const string PublishedOrderKey =
        "id, order_key, coalesce(snapshot->>'updated_at', snapshot->>'started_at') AS published_order_key";

    /// <summary>The order key (<see cref="PublishedOrderKey"/>) of each of these transactions we hold.</summary>
    public async Task<Dictionary<string, DateTimeOffset>> OrderKeysAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        (await database.ListAsync(
            $"SELECT {PublishedOrderKey} FROM transactions WHERE id = ANY($1) AND {OwnAnchor}",
            [Value(ids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)],
            ReadOrderKey, cancellationToken)).ToDictionary(row => row.Id, row => row.OrderKey, StringComparer.Ordinal);

    /// <summary>The transactions of a SEP we hold in a status that may still change, with their order keys.</summary>
    public Task<List<(string Id, DateTimeOffset OrderKey)>> OpenTransactionsAsync(string sep, CancellationToken cancellationToken) =>
        database.ListAsync(OpenTransactionsSql, [Value(sep)], ReadOrderKey, cancellationToken);

    /// <summary>
    /// With the open part's predicate as its indexes have it, so the open transactions are read from those, however many
    /// terminal ones the table holds.
    /// </summary>
    internal static readonly string OpenTransactionsSql =
        $"SELECT {PublishedOrderKey} FROM transactions WHERE sep = $1 AND {TransactionParts.Open()} AND {OwnAnchor} ORDER BY id";

    // Reconciliation reads the receiver's own AP; a wallet's anchors' transactions are theirs to tell.
    private const string OwnAnchor = $"anchor = '{Anchors.Own}'";

    // Ingest stores only snapshots whose timestamps are valid RFC 3339, so the text parses; the column is the floor.
    private static (string Id, DateTimeOffset OrderKey) ReadOrderKey(NpgsqlDataReader reader) =>
        (reader.GetString(0), !reader.IsDBNull(2) && Rfc3339.TryParseInstant(reader.GetString(2), out var published)
            ? published.ToUniversalTime()
            : reader.GetFieldValue<DateTimeOffset>(1));

    private static ReconciliationRun Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7),
        JsonSerializer.Deserialize<string[]>(reader.GetString(8)) ?? []);
}

/// <summary>What one run found, counted as it goes.</summary>
internal sealed class RunTally
{
    private readonly List<string> _errors = [];

    public int TransactionsChecked { get; set; }
    public int GapsClosed { get; set; }
    public int ErrorCount { get; private set; }
    public IReadOnlyList<string> Errors => _errors;

    public void Error(string message)
    {
        ErrorCount++;
        if (_errors.Count < ReconciliationStore.MaxKeptErrors) _errors.Add(message);
    }
}
