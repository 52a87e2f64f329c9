using Npgsql;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// The throwaway PostgreSQL cluster of a test run: the one scripts/test starts (<see cref="Variable"/>), else one the
/// run starts for itself, so a plain <c>dotnet test</c> works too. Each app under test gets a database of its own.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "RECEIVER_TEST_PG";

    private static readonly Lazy<string> Server = new(() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : StartClusterOfTheRun());

    public static string ServerConnectionString => Server.Value;

    private static string StartClusterOfTheRun()
    {
        // Off xunit's synchronization context: the scripts' awaits must not wait for the thread blocked here.
        var cluster = Task.Run(PrivateCluster.CreateForSuiteAsync).GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return cluster.ConnectionString("postgres");
    }

    public static string NewDatabaseConnectionString(string prefix = "receiver_test") =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString)
        {
            Database = $"{prefix}_{Guid.NewGuid():N}",
        }.ConnectionString;

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        // Several hosts (a replicated cluster): the database is dropped on the primary, as Receiver created it there.
        if (maintenance.Host!.Contains(',')) maintenance.TargetSessionAttributes = "primary";
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
