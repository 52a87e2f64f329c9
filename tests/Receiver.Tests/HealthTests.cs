using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests;

public sealed class HealthTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Live_and_ready_are_200_when_the_database_answers_and_is_migrated()
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("healthy", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_503_while_the_schema_is_not_migrated()
    {
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        await ServerCommandAsync($"CREATE DATABASE \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\"");
        await using var unmigrated = ReceiverApp.With(new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" }, connectionString);
        await unmigrated.InitializeAsync();

        var ready = await unmigrated.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not migrated", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("problems")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, (await unmigrated.CreateClient().GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Ready_is_503_when_the_database_does_not_answer()
    {
        await using var lost = ReceiverApp.With(new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" });
        await lost.InitializeAsync();

        var ready = await lost.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("unreachable", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("problems")[0].GetString());
    }

    /// <summary>
    /// Anyone may ask /health/ready: it says what is wrong in general terms, and PostgreSQL's own words (which name
    /// tables, roles and hosts) go to the log only.
    /// </summary>
    [Fact]
    public async Task Ready_keeps_the_database_error_out_of_its_answer_and_logs_it()
    {
        var role = $"receiver_test_unprivileged_{Guid.NewGuid():N}";
        await ServerCommandAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD 'unprivileged'");
        try
        {
            var logs = new LogCapture();
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Receiver"] = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Username = role, Password = "unprivileged" }.ConnectionString,
                ["Database:MigrateOnStartup"] = "false",
            };
            await using (var unprivileged = ReceiverApp.Beside(app, settings))
            await using (var capturing = unprivileged.WithWebHostBuilder(host => host.ConfigureLogging(logging => logging.AddProvider(logs))))
            {
                var ready = await capturing.CreateClient().GetAsync("/health/ready");

                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                var body = await ready.Content.ReadAsStringAsync();
                Assert.Equal(["database unreachable: see the log for the reason"],
                    JsonDocument.Parse(body).RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
                Assert.DoesNotContain("__EFMigrationsHistory", body);
            }
            Assert.Contains(logs.Lines, line => line.Level == LogLevel.Error
                                                && line.Category.StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal)
                                                && line.Text.Contains("42501: permission denied for table __EFMigrationsHistory", StringComparison.Ordinal));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ServerCommandAsync($"DROP ROLE \"{role}\"");
        }
    }

    private static async Task ServerCommandAsync(string sql)
    {
        await using var server = new NpgsqlConnection(TestPostgres.ServerConnectionString);
        await server.OpenAsync();
        await new NpgsqlCommand(sql, server).ExecuteNonQueryAsync();
    }
}
