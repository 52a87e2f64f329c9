using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>Migrating at start: several instances at once on one database, as a deployment that scales out does.</summary>
public sealed class StartupMigrationTests
{
    private const int Rounds = 3;

    [Fact]
    public async Task Two_instances_started_together_on_a_database_that_does_not_exist_yet_both_serve_and_apply_each_migration_once()
    {
        var migrations = new DesignTimeDbContextFactory().CreateDbContext([]).Database.GetMigrations().ToList();
        Assert.NotEmpty(migrations);

        // One lucky interleaving proves little: race a few times, each on a fresh database.
        for (var round = 1; round <= Rounds; round++)
        {
            var database = TestPostgres.NewDatabaseConnectionString("receiver_race");
            try
            {
                var ports = new[] { ReceiverProcess.FreePort(), ReceiverProcess.FreePort() };
                await using var first = StartInstance(database, ports[0]);
                await using var second = StartInstance(database, ports[1]);

                // Both migrate (one creates the database, one finds it) and both serve.
                await Task.WhenAll(first.WaitUntilListeningAsync(), second.WaitUntilListeningAsync());
                foreach (var (instance, port) in new[] { (first, ports[0]), (second, ports[1]) })
                {
                    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                    var ready = await http.GetAsync("/health/ready");
                    Assert.True(ready.StatusCode == HttpStatusCode.OK,
                        $"Round {round}: /health/ready is {(int)ready.StatusCode} on port {port}:\n{await ready.Content.ReadAsStringAsync()}\n{instance.Output}");
                }

                // A race the instances survived by luck would still show as a failed command in their logs.
                var failures = Regex.Matches(first.Output + second.Output, @"^fail: .*(?:\n[ \t]+.*)*", RegexOptions.Multiline)
                    .Select(m => m.Value).ToList();
                Assert.True(failures.Count == 0, $"Round {round}: unexpected failures:\n{string.Join("\n", failures)}");

                Assert.Equal(migrations.Select(id => (id, 1L)), await AppliedMigrationsAsync(database));
            }
            finally
            {
                await TestPostgres.DropDatabaseAsync(database);
            }
        }
    }

    [Fact]
    public async Task A_database_server_that_cannot_be_reached_stops_the_app_with_one_clear_line()
    {
        await using var app = StartInstance("Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none", ReceiverProcess.FreePort());

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains("Database error: cannot migrate the database", app.Output);
        Assert.DoesNotContain("   at ", app.Output);
    }

    private static ReceiverProcess StartInstance(string database, int port) =>
        ReceiverProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = database,
            ["CALLBACK_API_AUTH_TYPE"] = "api_key",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = "race-secret-0123456789-abcdefghijklmnop",
            ["QueryApi__Auth__ApiKey__Keys__0"] = "race-query-key-0123456789",
        }, arguments: ["--urls", $"http://127.0.0.1:{port}"]);

    /// <summary>Each recorded migration with the number of times it is recorded, in order.</summary>
    private static async Task<List<(string Id, long Count)>> AppliedMigrationsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """SELECT "MigrationId", count(*) FROM "__EFMigrationsHistory" GROUP BY "MigrationId" ORDER BY "MigrationId" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var applied = new List<(string, long)>();
        while (await reader.ReadAsync()) applied.Add((reader.GetString(0), reader.GetInt64(1)));
        return applied;
    }
}
