using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Receiver.Bench;

/// <summary>
/// The least a <c>GET /transactions/{id}</c> can cost on the receiver's stack: Kestrel, one minimal-API endpoint and
/// the receiver's own statement through a pooled Npgsql data source set up as the receiver's is, answering the
/// snapshot's bytes. No authentication, authorization, audit, personal-data view, problem details or logging.
/// bench/run measures it beside the receiver's GET: how far the receiver's features are from the stack's bound.
/// </summary>
internal static class FloorGet
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(arguments.Text("url"));
        var source = new NpgsqlDataSourceBuilder(arguments.Text("connection"));
        source.ConnectionStringBuilder.MaxAutoPrepare = 32;
        source.ConnectionStringBuilder.NoResetOnClose = true;
        await using var dataSource = source.Build();

        var app = builder.Build();
        app.MapGet("/transactions/{id}", async (string id, CancellationToken cancellationToken) =>
        {
            await using var command = dataSource.CreateCommand(
                "SELECT anchor, snapshot FROM transactions WHERE id = $1 ORDER BY anchor LIMIT 2");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? Results.Bytes(reader.GetFieldValue<byte[]>(1), "application/json")
                : Results.NotFound();
        });
        app.MapGet("/health/ready", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }
}
