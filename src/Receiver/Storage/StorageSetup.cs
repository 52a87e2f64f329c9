using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Configuration;
using Receiver.Storage.Schema;
using Receiver.Telemetry;

namespace Receiver.Storage;

public static partial class StorageSetup
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddValidatedOptions<DatabaseOptions, DatabaseOptionsValidator>(DatabaseOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.ConnectionString = configuration.GetConnectionString("Receiver"));

        // One pool for the whole app: EF Core and the plain-Npgsql hot path share it.
        // With several hosts, one pool per host, and each connection taken from the host that is the primary now.
        services.AddSingleton(provider => DataSource(provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.PrimaryConnectionString));
        services.AddDbContext<ReceiverDbContext>((provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<ResilientDatabase>();
        services.AddKeyedSingleton(DatabaseWork.Read, (provider, _) => ActivatorUtilities.CreateInstance<ResilientDatabase>(provider, DatabaseWork.Read));
        services.AddValidatedOptions<StandbyOptions, StandbyOptionsValidator>(StandbyOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.ConnectionString = configuration.GetConnectionString("ReceiverStandby"));
        services.AddSingleton<StandbyReads>();
        services.AddHostedService(provider => provider.GetRequiredService<StandbyReads>());
        services.AddSingleton<EventStore>();
        services.AddSingleton<ReceiverKeys>();
        services.AddSingleton<RejectedBacklog>();
        services.AddInstruments<DatabaseMetrics>();
        services.AddSingleton(TimeProvider.System);
        services.AddValidatedOptions<RetentionOptions, RetentionOptionsValidator>(RetentionOptions.Section);
        services.AddSingleton<RetentionStore>();
        services.AddInstruments<RetentionMetrics>();
        services.AddSingleton<RetentionWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<RetentionWorker>());
        return services;
    }

    /// <summary>A connection pool, set up alike for the primary and for the standby reads may go to.</summary>
    internal static NpgsqlDataSource DataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Prepared statements roughly double PostgreSQL's rate for the ingest insert (docs/postgresql.md).
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        // With prepared statements kept, Npgsql resets a pooled connection with seven statements (RESET ALL,
        // UNLISTEN *, ...) sent before the next use: half of PostgreSQL's time for a GET /transactions/{id} (bench/run).
        // Pooled connections carry no session state here (LISTEN and session locks use UnpooledConnection), so
        // there is nothing to reset.
        if (!SaysWhetherToReset(builder.ConnectionString)) builder.ConnectionStringBuilder.NoResetOnClose = true;
        // Parameters carry whole event bodies. Npgsql logs none unless told to (and gets no logger factory here):
        // said explicitly, so that wiring its logging later does not start writing bodies into the logs.
        builder.EnableParameterLogging(false);
        return builder.Build();
    }

    // NpgsqlConnectionStringBuilder knows every keyword, set or not: ask the string as it was written.
    private static bool SaysWhetherToReset(string? connectionString)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return written.ContainsKey("No Reset On Close") || written.ContainsKey("NoResetOnClose");
    }

    /// <summary>
    /// Any fixed number, the same in every instance: "Receiver" in ASCII. Advisory locks are per database,
    /// so instances migrating other databases on the same server do not wait for each other.
    /// </summary>
    private const long MigrationLockKey = 0x5265636569766572;

    /// <summary>
    /// Applies pending migrations when <c>Database:MigrateOnStartup</c> is on (the default), creating the database
    /// first when it does not exist. Safe when several instances start at once on one database.
    /// </summary>
    /// <remarks>
    /// EF Core's own migration lock is not enough on PostgreSQL: Npgsql takes it as a LOCK TABLE on
    /// __EFMigrationsHistory inside each migration's transaction, so it is released between migrations while
    /// each instance works from the list of applied migrations it read at the start, and two instances can
    /// apply the same migration. Creating the database and the history table also happen before that lock.
    /// </remarks>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        if (!options.MigrateOnStartup) return;

        // The whole migration runs under a session lock held on a connection of its own, outside the pool: an
        // instance that starts while another migrates waits here, then reads the history afresh and finds nothing
        // to do. Closing the connection ends the session and so releases the lock, however the migration ended,
        // and so does PostgreSQL when this process dies.
        await using var lockConnection = options.UnpooledConnection();
        try
        {
            await lockConnection.OpenAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            await CreateDatabaseAsync(options.PrimaryConnectionString, cancellationToken);
            await lockConnection.OpenAsync(cancellationToken);
        }

        // No timeout: the wait lasts as long as another instance's migration, however long that is.
        await using (var takeLock = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConnection)
                     {
                         CommandTimeout = 0,
                         Parameters = { new() { Value = MigrationLockKey } },
                     })
            await takeLock.ExecuteNonQueryAsync(cancellationToken);
        await using var scope = services.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<ReceiverDbContext>().Database;
        // On a fresh database EF probes the history table with a SELECT that fails and logs it as an error before
        // creating it (dotnet/efcore#37328): created first, the table is there to read and the first start logs no failure.
        await database.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        var pending = (await database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await database.MigrateAsync(cancellationToken);
        await EnsureMayWriteToWalAsync(lockConnection, cancellationToken);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StorageSetup));
        var latest = database.GetMigrations().LastOrDefault() ?? "no migration";
        if (pending.Count > 0) LogMigrated(logger, latest, pending.Count);
        else LogUpToDate(logger, latest);
    }

    /// <summary>
    /// Every write of events ends with <see cref="EventStore.WriteToWal"/>. PostgreSQL lets any role call it unless an
    /// administrator revoked it; then every event would be answered 503 for ever, so the app refuses to start instead.
    /// Sent in a transaction rolled back: the record it leaves in the WAL is that of an aborted transaction.
    /// </summary>
    private static async Task EnsureMayWriteToWalAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using var write = new NpgsqlCommand(EventStore.WriteToWal, connection, transaction);
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new DatabaseNotUsableException(
                "the role of ConnectionStrings:Receiver may not call pg_logical_emit_message, which every write of events " +
                "uses (docs/postgresql.md): GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO that role.");
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database migrated to {Migration} ({Applied} migrations applied)")]
    private static partial void LogMigrated(ILogger logger, string migration, int applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database is up to date at {Migration}")]
    private static partial void LogUpToDate(ILogger logger, string migration);

    /// <summary>Creates the configured database from the server's <c>postgres</c> maintenance database.</summary>
    private static async Task CreateDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Without Database, PostgreSQL uses the database named after the user.
        var database = builder.Database ?? builder.Username;
        builder.Database = "postgres";
        builder.Pooling = false; // used once: leave no idle connection to the maintenance database behind
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database!.Replace("\"", "\"\"")}\"", connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        // Another instance created it first: 42P04 once its CREATE has committed, 23505 while both were running.
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
        }
    }
}
