using System.Net;
using System.Net.Sockets;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

/// <summary>Failed authentications are limited per client address, on every API; good credentials are never refused.</summary>
public sealed class FailedAuthLimitTests
{
    private static readonly Dictionary<string, string?> ThreeFailures = new()
    {
        ["Security:FailedAuth:PermitLimit"] = "3",
        ["Security:FailedAuth:WindowSeconds"] = "60",
    };

    private static HttpClient WithToken(ReceiverApp app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return client;
    }

    [Fact]
    public async Task Past_the_permitted_failures_wrong_credentials_get_429_and_good_ones_from_the_same_address_are_still_served()
    {
        await using var app = ReceiverApp.With(ThreeFailures);
        var forged = WithToken(app, ApToken.Mint("not-the-secret-0123456789-abcdefghijkl"));
        var wrongKey = app.CreateClient();
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", "not-a-query-key-0123456789");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);

        // A neighbour behind AP's address (a NAT, a proxy, a sidecar) keeps failing...
        var limited = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => i % 2 == 0
            ? forged.PostEventAsync(ApEvents.CustomerUpdated())
            : wrongKey.GetAsync("/transactions")));
        Assert.All(limited, response => Assert.Equal((HttpStatusCode)429, response.StatusCode));
        Assert.Equal(TimeSpan.FromSeconds(60), limited[0].Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await app.CountAsync("events"));

        // ...and AP's own events, the query API with its key, health and metrics are served as ever.
        var ap = app.CreateApClient();
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateQueryClient().GetAsync("/transactions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/metrics")).StatusCode);
        Assert.Equal(5, await app.CountAsync("events"));
        Assert.Equal((HttpStatusCode)429, (await forged.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }

    [Fact]
    public async Task Past_the_limit_a_failed_attempt_is_answered_only_after_the_delay()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?>(ThreeFailures) { ["Security:FailedAuth:DelayMilliseconds"] = "1500" });
        var forged = WithToken(app, ApToken.Mint("not-the-secret-0123456789-abcdefghijkl"));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal((HttpStatusCode)429, (await forged.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1400), $"a guess over the limit was answered after {clock.Elapsed}");
    }

    [Fact]
    public async Task Successful_requests_never_count()
    {
        await using var app = ReceiverApp.With(ThreeFailures);
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        var forged = WithToken(app, ApToken.Mint("not-the-secret-0123456789-abcdefghijkl"));
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }

    [Fact]
    public async Task The_limit_is_per_client_address()
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        var port = ReceiverProcess.FreePort();
        try
        {
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = database,
                ["CALLBACK_API_AUTH_TYPE"] = "api_key",
                ["SECRET_CALLBACK_API_AUTH_SECRET"] = "address-test-secret-0123456789",
                ["QueryApi__Auth__ApiKey__Keys__0"] = "address-test-query-key-0123",
                ["Security__FailedAuth__PermitLimit"] = "2",
                ["Security__FailedAuth__DelayMilliseconds"] = "0",
            }, arguments: ["--urls", $"http://127.0.0.1:{port}"]);
            await app.WaitUntilListeningAsync();
            using var first = From("127.0.0.1", port);
            using var second = From("127.0.0.2", port);

            for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(first, "wrong-key-0123456789-abcdef"));
            Assert.Equal((HttpStatusCode)429, await GetAsync(first, "wrong-key-0123456789-abcdef"));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(first, "address-test-query-key-0123"));
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(second, "wrong-key-0123456789-abcdef"));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(second, "address-test-query-key-0123"));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>A client whose connections come from this loopback address (any 127.x.y.z reaches a 127.0.0.1 listener).</summary>
    private static HttpClient From(string localAddress, int port) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

    private static async Task<HttpStatusCode> GetAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/transactions");
        request.Headers.Add("X-Api-Key", key);
        return (await client.SendAsync(request)).StatusCode;
    }
}
