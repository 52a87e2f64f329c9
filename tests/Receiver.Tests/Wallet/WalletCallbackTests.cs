using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Wallet;

/// <summary>
/// A wallet taking AP's signed client callbacks, through HTTP against real PostgreSQL, with keys made here:
/// <c>alpha</c> is given its key and called at a URL with a port, <c>beta</c> has its key read from a stellar.toml
/// served on loopback and is called at a URL without one, <c>gamma</c>'s stellar.toml cannot be reached.
/// </summary>
public sealed class WalletCallbackTests : IAsyncLifetime
{
    private const string HostWithPort = "wallet.test:8443";
    private const string HostWithoutPort = "wallet.test";

    private readonly AnchorSigner _alpha = new();
    private readonly AnchorSigner _beta = new();
    private readonly AnchorSigner _stranger = new();
    private FakeStellarToml _toml = null!;
    private Dictionary<string, string?> _settings = null!;
    private ReceiverApp _app = null!;

    public async Task InitializeAsync()
    {
        _toml = await FakeStellarToml.StartAsync(FakeStellarToml.WithSigningKey(_beta.AccountId));
        _settings = new Dictionary<string, string?>
        {
            ["Wallet:Anchors:0:Name"] = "alpha",
            ["Wallet:Anchors:0:SigningKey"] = _alpha.AccountId,
            ["Wallet:Anchors:0:CallbackHost"] = HostWithPort,
            ["Wallet:Anchors:1:Name"] = "beta",
            ["Wallet:Anchors:1:StellarTomlUrl"] = _toml.Url,
            ["Wallet:Anchors:1:CallbackUrl"] = $"https://{HostWithoutPort}/callbacks/beta/sep24",
            ["Wallet:Anchors:2:Name"] = "gamma",
            ["Wallet:Anchors:2:StellarTomlUrl"] = $"http://127.0.0.1:{ReceiverProcess.FreePort()}/.well-known/stellar.toml",
            ["Wallet:Anchors:2:CallbackHost"] = HostWithoutPort,
        };
        _app = ReceiverApp.With(_settings);
        await _app.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _toml.DisposeAsync();
        _alpha.Dispose();
        _beta.Dispose();
        _stranger.Dispose();
    }

    [Theory]
    [InlineData("sep24")]
    [InlineData("sep6")]
    [InlineData("sep31")]
    public async Task A_signed_transaction_callback_is_stored_as_the_anchors_transaction_and_followed_in_the_feed(string sep)
    {
        var id = Guid.NewGuid().ToString();
        var body = TransactionBody(id, sep, "pending_anchor", "2024-06-25T20:35:00.123456Z");

        var response = await PostAsync(_app, "alpha", sep, body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var query = _app.CreateQueryClient();
        var snapshot = await query.GetJsonAsync($"/transactions/{id}?anchor=alpha");
        Assert.Equal(id, (string?)snapshot["id"]);
        Assert.Equal("pending_anchor", (string?)snapshot["status"]);
        var timeline = await query.GetJsonAsync($"/transactions/{id}/events");
        var entry = Assert.Single(timeline["data"]!.AsArray())!;
        Assert.Equal("callback", (string?)entry["source"]);
        Assert.Equal("alpha", (string?)entry["anchor"]);
        var feed = await query.GetJsonAsync($"/events?transaction_id={id}");
        var frame = Assert.Single(feed["data"]!.AsArray())!;
        Assert.Equal("alpha", (string?)frame["anchor"]);
        Assert.Equal("callback", (string?)frame["source"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), frame["payload"]), frame["payload"]!.ToJsonString());
        var list = await query.GetJsonAsync($"/transactions?anchor=alpha&sep={sep.Replace("sep", "")}");
        Assert.Contains(list["data"]!.AsArray(), item => (string?)item!["id"] == id);
    }

    [Fact]
    public async Task A_signed_customer_callback_is_stored_as_the_anchors_customer()
    {
        var id = Guid.NewGuid().ToString();
        var body = """{"id":"ID","status":"ACCEPTED","provided_fields":{"first_name":{"description":"first name","type":"string","status":"ACCEPTED"}}}""".Replace("ID", id);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "alpha", "sep12", body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow))).StatusCode);

        var customer = await _app.CreateQueryClient().GetJsonAsync($"/customers/{id}?anchor=alpha");
        Assert.Equal(1, (int?)customer["update_count"]);
        await _app.CreateQueryClient().GetJsonAsync($"/customers/{id}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_host_is_signed_with_the_port_when_the_callback_URL_names_one_and_without_it_when_it_does_not()
    {
        var body = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var now = DateTimeOffset.UtcNow;

        // As a verifier that strips the port would expect it: refused where the anchor signed the port.
        await AssertRefusedAsync("alpha", "sep24", body, _alpha.Header(HostWithoutPort, body, now), "does not verify");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "alpha", "sep24", body, _alpha.Header(HostWithPort, body, now))).StatusCode);

        var other = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        await AssertRefusedAsync("beta", "sep24", other, _beta.Header(HostWithoutPort + ":443", other, now), "does not verify");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "beta", "sep24", other, _beta.Header(HostWithoutPort, other, now))).StatusCode);
    }

    [Fact]
    public async Task Every_callback_that_does_not_verify_is_refused_with_401_and_nothing_is_stored()
    {
        var body = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var now = DateTimeOffset.UtcNow;
        var good = _alpha.Header(HostWithPort, body, now);

        await AssertRefusedAsync("alpha", "sep24", body.Replace("pending_anchor", "completed"), good, "does not verify");
        await AssertRefusedAsync("alpha", "sep24", body, _stranger.Header(HostWithPort, body, now), "does not verify");
        await AssertRefusedAsync("alpha", "sep24", body, _alpha.Header(HostWithPort, body, now.AddMinutes(-3)), "s old");
        await AssertRefusedAsync("alpha", "sep24", body, _alpha.Header(HostWithPort, body, now.AddMinutes(3)), "ahead");
        await AssertRefusedAsync("alpha", "sep24", body, header: null, "no Signature header");
        await AssertRefusedAsync("alpha", "sep24", body, "t=12, s=???", "malformed");
        await AssertRefusedAsync("alpha", "sep24", body, good.Split(", ")[1], "malformed");
        Assert.Equal(0, await StoredCallbacksAsync());
        var scrape = await Scrape.OfAsync(_app.CreateClient());
        Assert.Equal(7, scrape.Value("receiver_callbacks_received_total", ("anchor", "alpha"), ("sep", "24"), ("outcome", "unverified")));
        Assert.False(scrape.Has("receiver_callbacks_received_total", ("anchor", "alpha"), ("sep", "24"), ("outcome", "stored")));
    }

    [Fact]
    public async Task A_callback_signed_with_the_header_older_anchors_send_is_verified_the_same()
    {
        var body = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");

        var response = await PostAsync(_app, "alpha", "sep24", body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow), "X-Stellar-Signature");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_redelivered_callback_is_stored_once()
    {
        var id = Guid.NewGuid().ToString();
        var body = TransactionBody(id, "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var now = DateTimeOffset.UtcNow;

        // AP's three attempts: each signed anew, with its own t.
        for (var attempt = 0; attempt < 3; attempt++)
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "alpha", "sep24", body, _alpha.Header(HostWithPort, body, now.AddSeconds(attempt)))).StatusCode);

        var timeline = await _app.CreateQueryClient().GetJsonAsync($"/transactions/{id}/events?anchor=alpha");
        Assert.Single(timeline["data"]!.AsArray());
        var scrape = await Scrape.OfAsync(_app.CreateClient());
        Assert.Equal(1, scrape.Value("receiver_callbacks_received_total", ("anchor", "alpha"), ("sep", "24"), ("outcome", "stored")));
        Assert.Equal(2, scrape.Value("receiver_callbacks_received_total", ("anchor", "alpha"), ("sep", "24"), ("outcome", "redelivered")));
    }

    [Fact]
    public async Task Callbacks_out_of_order_leave_the_newest_state()
    {
        var id = Guid.NewGuid().ToString();
        var pending = TransactionBody(id, "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var completed = TransactionBody(id, "sep24", "completed", "2024-06-25T20:40:00Z");
        var now = DateTimeOffset.UtcNow;

        await PostAsync(_app, "alpha", "sep24", completed, _alpha.Header(HostWithPort, completed, now));
        await PostAsync(_app, "alpha", "sep24", pending, _alpha.Header(HostWithPort, pending, now));

        var query = _app.CreateQueryClient();
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{id}?anchor=alpha"))["status"]);
        var statuses = (await query.GetJsonAsync($"/transactions/{id}/events?anchor=alpha"))["data"]!.AsArray().Select(e => (string?)e!["status"]);
        Assert.Equal(["pending_anchor", "completed"], statuses);
    }

    [Fact]
    public async Task Two_anchors_may_hold_one_transaction_id_and_a_lookup_without_the_anchor_says_so()
    {
        var id = Guid.NewGuid().ToString();
        var fromAlpha = TransactionBody(id, "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var fromBeta = TransactionBody(id, "sep24", "completed", "2024-06-25T20:35:00Z");
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "alpha", "sep24", fromAlpha, _alpha.Header(HostWithPort, fromAlpha, now))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "beta", "sep24", fromBeta, _beta.Header(HostWithoutPort, fromBeta, now))).StatusCode);

        var query = _app.CreateQueryClient();
        Assert.Equal("pending_anchor", (string?)(await query.GetJsonAsync($"/transactions/{id}?anchor=alpha"))["status"]);
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{id}?anchor=beta"))["status"]);
        var ambiguous = await query.GetJsonAsync($"/transactions/{id}", HttpStatusCode.Conflict);
        Assert.Contains("alpha", (string?)ambiguous["detail"]);
        await query.GetJsonAsync($"/transactions/{id}/events", HttpStatusCode.Conflict);
        Assert.Single((await query.GetJsonAsync($"/events?transaction_id={id}&anchor=beta"))["data"]!.AsArray());
    }

    [Fact]
    public async Task A_callback_of_an_anchor_that_is_not_configured_is_404_and_an_unknown_SEP_has_no_route()
    {
        var body = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");

        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(_app, "delta", "sep24", body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(_app, "alpha", "sep38", body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow))).StatusCode);
    }

    [Fact]
    public async Task A_verified_callback_that_is_not_a_transaction_is_400_and_not_stored()
    {
        var body = """{"transaction":{"status":"completed"}}""";

        var response = await PostAsync(_app, "alpha", "sep24", body, _alpha.Header(HostWithPort, body, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("transaction.id", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await StoredCallbacksAsync());
    }

    [Fact]
    public async Task The_key_read_from_stellar_toml_verifies_and_stays_when_the_toml_cannot_be_read_again()
    {
        var clock = new SettableClock();
        var app = WithClock(clock);
        var first = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", first, _beta.Header(HostWithoutPort, first, clock.GetUtcNow()))).StatusCode);

        _toml.Content = null;
        clock.Offset = TimeSpan.FromMinutes(1);
        var second = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        // A key the anchor never had makes the receiver read the toml again, which fails: the key it had still verifies.
        var readsBefore = _toml.Reads;
        await AssertRefusedAsync("beta", "sep24", second, _stranger.Header(HostWithoutPort, second, clock.GetUtcNow()), "does not verify", app);
        Assert.True(_toml.Reads > readsBefore, "the toml was not read again");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", second, _beta.Header(HostWithoutPort, second, clock.GetUtcNow()))).StatusCode);
    }

    [Fact]
    public async Task An_instance_started_while_the_toml_cannot_be_read_verifies_with_the_key_read_before()
    {
        var first = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_app, "beta", "sep24", first, _beta.Header(HostWithoutPort, first, DateTimeOffset.UtcNow))).StatusCode);

        _toml.Content = null;
        await using var restarted = ReceiverApp.Beside(_app, _settings);
        var second = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(restarted, "beta", "sep24", second, _beta.Header(HostWithoutPort, second, DateTimeOffset.UtcNow))).StatusCode);
        await AssertRefusedAsync("beta", "sep24", second, _stranger.Header(HostWithoutPort, second, DateTimeOffset.UtcNow), "does not verify", restarted);
    }

    [Fact]
    public async Task A_rotated_key_verifies_at_once_and_the_key_it_replaced_until_the_grace_ends()
    {
        using var rotated = new AnchorSigner();
        var clock = new SettableClock();
        var app = WithClock(clock);
        var before = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", before, _beta.Header(HostWithoutPort, before, clock.GetUtcNow()))).StatusCode);

        _toml.Content = FakeStellarToml.WithSigningKey(rotated.AccountId);
        clock.Offset = TimeSpan.FromMinutes(1);
        var signedWithNew = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        var signedWithOld = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", signedWithNew, rotated.Header(HostWithoutPort, signedWithNew, clock.GetUtcNow()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", signedWithOld, _beta.Header(HostWithoutPort, signedWithOld, clock.GetUtcNow()))).StatusCode);

        clock.Offset = TimeSpan.FromHours(25);
        var afterGrace = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");
        await AssertRefusedAsync("beta", "sep24", afterGrace, _beta.Header(HostWithoutPort, afterGrace, clock.GetUtcNow()), "does not verify", app);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(app, "beta", "sep24", afterGrace, rotated.Header(HostWithoutPort, afterGrace, clock.GetUtcNow()))).StatusCode);
    }

    [Fact]
    public async Task A_stellar_toml_that_cannot_be_reached_is_503_naming_it_and_nothing_is_stored()
    {
        var body = TransactionBody(Guid.NewGuid().ToString(), "sep24", "pending_anchor", "2024-06-25T20:35:00Z");

        var response = await PostAsync(_app, "gamma", "sep24", body, _beta.Header(HostWithoutPort, body, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var detail = await response.Content.ReadAsStringAsync();
        Assert.Contains("gamma", detail);
        Assert.Contains("stellar.toml", detail);
        Assert.Equal(0, await StoredCallbacksAsync());
    }

    /// <summary>A SEP transaction response as a callback carries it: <c>{"transaction": {...}}</c>.</summary>
    private static string TransactionBody(string id, string sep, string status, string updatedAt) =>
        $$$"""{"transaction":{"id":"{{{id}}}",{{{(sep == "sep31" ? "" : "\"kind\":\"deposit\",")}}}"status":"{{{status}}}","amount_in":"100","amount_in_asset":"iso4217:USD","started_at":"2024-06-25T20:33:17.013738Z","updated_at":"{{{updatedAt}}}","message":"funds received"}}""";

    private WebApplicationFactory<Program> WithClock(SettableClock clock) =>
        _app.WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));

    private static async Task<HttpResponseMessage> PostAsync(
        WebApplicationFactory<Program> app, string anchor, string sep, string body, string? header, string headerName = "Signature")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/callbacks/{anchor}/{sep}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (header is not null) request.Headers.TryAddWithoutValidation(headerName, header);
        return await app.CreateClient().SendAsync(request);
    }

    private async Task AssertRefusedAsync(
        string anchor, string sep, string body, string? header, string reason, WebApplicationFactory<Program>? app = null)
    {
        var response = await PostAsync(app ?? _app, anchor, sep, body, header);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {response.StatusCode} {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, problem);
    }

    private async Task<long> StoredCallbacksAsync()
    {
        await using var connection = new NpgsqlConnection(_app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE source = 'callback'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
