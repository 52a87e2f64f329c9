using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// An anchor's home domain over real HTTP on loopback, serving its <c>/.well-known/stellar.toml</c> (SEP-1), whose
/// content and status a test sets, and counting how often it is read.
/// </summary>
public sealed class FakeStellarToml : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _reads;

    private FakeStellarToml(WebApplication app, string baseUrl)
    {
        _app = app;
        Url = baseUrl + "/.well-known/stellar.toml";
    }

    public string Url { get; }

    /// <summary>The file served; null answers 404.</summary>
    public string? Content { get; set; }

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>A toml as an anchor publishes it, naming <paramref name="signingKey"/>.</summary>
    public static string WithSigningKey(string signingKey) =>
        $"""
         VERSION = "2.0.0"
         NETWORK_PASSPHRASE = "Test SDF Network ; September 2015"
         WEB_AUTH_ENDPOINT = "https://anchor.test/auth"
         TRANSFER_SERVER_SEP0024 = "https://anchor.test/sep24"
         SIGNING_KEY = "{signingKey}"

         [DOCUMENTATION]
         ORG_NAME = "Test Anchor"
         """;

    public static async Task<FakeStellarToml> StartAsync(string? content)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrl = $"http://127.0.0.1:{ReceiverProcess.FreePort()}";
        builder.WebHost.UseUrls(baseUrl);
        var toml = new FakeStellarToml(builder.Build(), baseUrl) { Content = content };
        toml._app.MapGet("/.well-known/stellar.toml", () =>
        {
            Interlocked.Increment(ref toml._reads);
            return toml.Content is { } served ? Results.Text(served, "text/plain") : Results.NotFound();
        });
        await toml._app.StartAsync();
        return toml;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
