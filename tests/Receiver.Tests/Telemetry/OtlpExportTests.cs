using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Telemetry;

/// <summary>With an OTLP endpoint configured, the app as a process pushes its traces and metrics to a collector.</summary>
public sealed class OtlpExportTests
{
    private sealed record Export(string Path, string? ContentType, byte[] Body)
    {
        /// <summary>Names travel as plain UTF-8 inside the protobuf.</summary>
        public bool Mentions(string text) => Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
    }

    /// <summary>A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver: notes every request and answers 200.</summary>
    private static async Task<(WebApplication Collector, ConcurrentQueue<Export> Exports)> StartCollectorAsync()
    {
        var exports = new ConcurrentQueue<Export>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            exports.Enqueue(new Export(request.Path, request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        return (collector, exports);
    }

    [Fact]
    public async Task With_Otlp_Endpoint_traces_and_metrics_are_pushed_as_protobuf_over_http()
    {
        var (collector, exports) = await StartCollectorAsync();
        await using var _ = collector;
        var port = ReceiverProcess.FreePort();
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            await using (var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = connectionString,
                ["CallbackApi__Auth__Type"] = "none",
                ["QueryApi__Auth__Type"] = "none",
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Otlp__Endpoint"] = collector.Urls.Single(),
            }))
            {
                await app.WaitUntilListeningAsync();
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);

                // Stopping flushes what is still batched: the spans of that request and a last collection of metrics.
                app.Terminate();
                Assert.Equal(0, await app.WaitForExitAsync());
            }
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
        }

        var traces = exports.Where(e => e is { Path: "/v1/traces", ContentType: "application/x-protobuf" }).ToList();
        var metrics = exports.Where(e => e is { Path: "/v1/metrics", ContentType: "application/x-protobuf" }).ToList();
        Assert.NotEmpty(traces);
        Assert.NotEmpty(metrics);
        // The request's span and the database's, from service "receiver"; and our own meter among the metrics.
        Assert.Contains(traces, e => e.Mentions("Microsoft.AspNetCore") && e.Mentions("receiver"));
        Assert.Contains(traces, e => e.Mentions("Npgsql"));
        Assert.Contains(metrics, e => e.Mentions("receiver.events.received"));
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_nothing_is_traced()
    {
        await using var app = new ReceiverApp();
        _ = app.Server;

        Assert.Null(app.Services.GetService<TracerProvider>());
    }
}
