using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// The pool hands connections back without resetting them (a reset is seven statements before every use), unless the
/// connection string says otherwise.
/// </summary>
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Pooled_connections_are_not_reset_by_default()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?>());
        await app.InitializeAsync();

        Assert.True(PoolSettings(app).NoResetOnClose);
    }

    [Fact]
    public async Task A_connection_string_that_asks_for_the_reset_keeps_it()
    {
        await using var app = ReceiverApp.With(
            new Dictionary<string, string?>(), TestPostgres.NewDatabaseConnectionString() + ";No Reset On Close=false");
        await app.InitializeAsync();

        Assert.False(PoolSettings(app).NoResetOnClose);
        await using var command = app.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT 1");
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    private static NpgsqlConnectionStringBuilder PoolSettings(ReceiverApp app) =>
        new(app.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
}
