using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
        await using (var server = new NpgsqlConnection(TestPostgres.ServerConnectionString))
        {
            await server.OpenAsync();
            await new NpgsqlCommand($"CREATE DATABASE \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\"", server).ExecuteNonQueryAsync();
        }
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
}
