using Npgsql;

namespace Receiver.Tests.Infrastructure;

/// <summary>The throwaway PostgreSQL cluster scripts/test starts; each app under test gets a database of its own.</summary>
public static class TestPostgres
{
    public const string Variable = "RECEIVER_TEST_PG";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set. Run the suite with scripts/test, which starts a throwaway PostgreSQL, " +
                $"or set {Variable} to e.g. Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres.");

    public static string NewDatabaseConnectionString(string prefix = "receiver_test") =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString)
        {
            Database = $"{prefix}_{Guid.NewGuid():N}",
        }.ConnectionString;

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
