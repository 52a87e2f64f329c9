using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NSec.Cryptography;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Wallet;

/// <summary>A wallet with one anchor, <c>alpha</c>, called at a URL with a port, its key given.</summary>
public sealed class WalletApp() : ReceiverApp(Settings)
{
    public const string Host = "Wallet.Example.com:8443";

    /// <summary>The anchor's key: one for the whole fixture, as an anchor has one.</summary>
    public static readonly AnchorSigner Anchor = new();

    private static Dictionary<string, string?> Settings => new()
    {
        ["Wallet:Anchors:0:Name"] = "alpha",
        ["Wallet:Anchors:0:SigningKey"] = Anchor.AccountId,
        // The URL the anchor was given: the host it signs is read from it, as written and with its port.
        ["Wallet:Anchors:0:CallbackUrl"] = $"https://{Host}/callbacks/alpha/sep24",
    };
}

/// <summary>Every callback body AP sends (<see cref="ApCallbacks"/>, from AP's code at its tags), signed as AP signs it.</summary>
public sealed class WalletCorpusTests(WalletApp app) : IClassFixture<WalletApp>
{
    public static TheoryData<string> Names => new(ApCallbacks.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Each_callback_AP_sends_is_verified_stored_and_read_back(string name)
    {
        var callback = ApCallbacks.Get(name);
        var body = Unique(callback);

        var response = await PostAsync($"sep{callback.Sep}", body, WalletApp.Anchor.Header(WalletApp.Host, body, DateTimeOffset.UtcNow));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var query = app.CreateQueryClient();
        if (callback.TransactionId is not null)
        {
            var snapshot = await query.GetJsonAsync($"/transactions/{TransactionId(body)}?anchor=alpha");
            Assert.Equal(callback.Status, (string?)snapshot["status"]);
        }
        else
        {
            await query.GetJsonAsync($"/customers/{CustomerId(body)}?anchor=alpha");
        }
    }

    [Fact]
    public async Task A_body_with_text_outside_ASCII_verifies_as_AP_signs_it_on_a_JVM_whose_charset_is_ASCII_and_is_stored_as_sent()
    {
        var callback = ApCallbacks.Get("sep24-withdrawal-error");
        var body = (JsonNode.Parse(Unique(callback))!.AsObject()) is var node && node["transaction"]!["message"] is not null
            ? Replace(node, "Zahlung für Ülker abgelehnt 🙂")
            : throw new InvalidOperationException("the shape has no message");
        var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = SignAscii(ApCallbacks.AsciiSigned(ApCallbacks.SignedText(t, WalletApp.Host, body)));

        var response = await PostAsync("sep24", body, ApCallbacks.SignatureHeader(t, signature));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var feed = await app.CreateQueryClient().GetJsonAsync($"/events?transaction_id={TransactionId(body)}&anchor=alpha");
        var payload = Assert.Single(feed["data"]!.AsArray())!["payload"]!;
        Assert.Equal("Zahlung für Ülker abgelehnt 🙂", (string?)payload["transaction"]!["message"]);
    }

    [Fact]
    public async Task Each_attempt_of_one_callback_is_stored_once_though_AP_mints_its_more_info_url_again()
    {
        var callback = ApCallbacks.Get("sep24-deposit-pending-user-transfer-start");
        var body = Unique(callback);
        var again = body.Replace("token=", "token=another-");
        Assert.NotEqual(body, again);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", body, WalletApp.Anchor.Header(WalletApp.Host, body, DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", again, WalletApp.Anchor.Header(WalletApp.Host, again, DateTimeOffset.UtcNow.AddSeconds(2)))).StatusCode);

        var timeline = await app.CreateQueryClient().GetJsonAsync($"/transactions/{TransactionId(body)}/events?anchor=alpha");
        Assert.Single(timeline["data"]!.AsArray());
    }

    [Fact]
    public async Task Callbacks_without_updated_at_that_arrive_out_of_order_leave_the_state_the_anchor_signed_last()
    {
        var id = Guid.NewGuid().ToString();
        var pending = ApCallbacks.Get("sep24-deposit-pending-user-transfer-start");
        var completed = ApCallbacks.Get("sep24-deposit-completed");
        var pendingBody = pending.Body.Replace(pending.TransactionId!, id);
        var completedBody = completed.Body.Replace(completed.TransactionId!, id);
        Assert.Null(completed.UpdatedAt);
        var now = DateTimeOffset.UtcNow;

        // AP signed the pending callback first; the wallet got the completed one first.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", completedBody, WalletApp.Anchor.Header(WalletApp.Host, completedBody, now))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", pendingBody, WalletApp.Anchor.Header(WalletApp.Host, pendingBody, now.AddSeconds(-30)))).StatusCode);

        var query = app.CreateQueryClient();
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{id}?anchor=alpha"))["status"]);
        var statuses = (await query.GetJsonAsync($"/transactions/{id}/events?anchor=alpha"))["data"]!.AsArray().Select(e => (string?)e!["status"]);
        Assert.Equal(["pending_user_transfer_start", "completed"], statuses);
    }

    [Fact]
    public async Task A_transaction_back_in_a_status_it_had_is_a_callback_of_its_own_not_an_attempt_of_the_first()
    {
        var id = Guid.NewGuid().ToString();
        var pending = ApCallbacks.Get("sep24-deposit-pending-user-transfer-start");
        var pendingBody = pending.Body.Replace(pending.TransactionId!, id);
        var anchorBody = pendingBody.Replace("\"pending_user_transfer_start\"", "\"pending_anchor\"");
        var now = DateTimeOffset.UtcNow;

        foreach (var (body, signedAt) in new[] { (pendingBody, now.AddSeconds(-60)), (anchorBody, now.AddSeconds(-30)), (pendingBody, now) })
            Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", body, WalletApp.Anchor.Header(WalletApp.Host, body, signedAt))).StatusCode);

        var query = app.CreateQueryClient();
        Assert.Equal("pending_user_transfer_start", (string?)(await query.GetJsonAsync($"/transactions/{id}?anchor=alpha"))["status"]);
        Assert.Equal(3, (await query.GetJsonAsync($"/transactions/{id}/events?anchor=alpha"))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_customer_updated_again_later_with_the_same_answer_is_counted_and_an_attempt_seconds_later_is_not()
    {
        var id = Guid.NewGuid().ToString();
        var body = ApCallbacks.Get("sep12-customer-id-only").Body.Replace(ApCallbacks.Get("sep12-customer-id-only").CustomerId!, id);
        var now = DateTimeOffset.UtcNow;

        foreach (var signedAt in new[] { now.AddSeconds(-90), now.AddSeconds(-88), now })
            Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep12", body, WalletApp.Anchor.Header(WalletApp.Host, body, signedAt))).StatusCode);

        Assert.Equal(2, (int?)(await app.CreateQueryClient().GetJsonAsync($"/customers/{id}?anchor=alpha"))["update_count"]);
    }

    [Fact]
    public async Task Two_callbacks_with_one_transaction_status_and_updated_at_but_other_content_are_both_stored()
    {
        var callback = ApCallbacks.Get("sep6-withdrawal-pending-user-transfer-start@3.1.4");
        Assert.NotNull(callback.UpdatedAt);
        var first = Unique(callback);
        var second = first.Replace($"\"status\":\"{callback.Status}\"", $"\"status\":\"{callback.Status}\",\"message\":\"corrected\"");
        Assert.NotEqual(first, second);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep6", first, WalletApp.Anchor.Header(WalletApp.Host, first, DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep6", second, WalletApp.Anchor.Header(WalletApp.Host, second, DateTimeOffset.UtcNow))).StatusCode);

        Assert.Equal(2, (await app.CreateQueryClient().GetJsonAsync($"/transactions/{TransactionId(first)}/events?anchor=alpha"))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_callback_replayed_to_another_SEPs_URL_is_refused_and_the_transaction_keeps_its_SEP()
    {
        var body = Unique(ApCallbacks.Get("sep24-deposit-completed"));
        var header = WalletApp.Anchor.Header(WalletApp.Host, body, DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", body, header)).StatusCode);

        // The URL is not signed: the same signed body, sent again to the SEP-6 URL.
        var replayed = await PostAsync("sep6", body, header);

        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Contains("SEP-24", await replayed.Content.ReadAsStringAsync());
        var query = app.CreateQueryClient();
        Assert.Contains((await query.GetJsonAsync("/transactions?anchor=alpha&sep=24"))["data"]!.AsArray(), item => (string?)item!["id"] == TransactionId(body));
        Assert.DoesNotContain((await query.GetJsonAsync("/transactions?anchor=alpha&sep=6"))["data"]!.AsArray(), item => (string?)item!["id"] == TransactionId(body));
    }

    [Fact]
    public async Task An_attempt_of_a_stored_callback_that_arrives_after_a_later_callback_is_not_stored_again()
    {
        var id = Guid.NewGuid().ToString();
        var pending = ApCallbacks.Get("sep24-deposit-pending-user-transfer-start");
        var first = pending.Body.Replace(pending.TransactionId!, id);
        var later = first.Replace("\"pending_user_transfer_start\"", "\"pending_anchor\"");
        var retried = first.Replace("token=", "token=minted-again-");
        var now = DateTimeOffset.UtcNow;

        // AP never got the answer to the first, and tried it again after the anchor's next callback had arrived.
        foreach (var (body, signedAt) in new[] { (first, now), (later, now.AddSeconds(1)), (retried, now.AddSeconds(2)) })
            Assert.Equal(HttpStatusCode.OK, (await PostAsync("sep24", body, WalletApp.Anchor.Header(WalletApp.Host, body, signedAt))).StatusCode);

        Assert.Equal(2, (await app.CreateQueryClient().GetJsonAsync($"/transactions/{id}/events?anchor=alpha"))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task Two_attempts_of_one_callback_that_arrive_at_once_are_stored_once()
    {
        var body = Unique(ApCallbacks.Get("sep24-deposit-pending-user-transfer-start"));
        var again = body.Replace("token=", "token=minted-again-");
        var now = DateTimeOffset.UtcNow;

        // Both read the transaction's callbacks before either is written: the table takes no write until both wait.
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using (var hold = await connection.BeginTransactionAsync())
        {
            await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN EXCLUSIVE MODE", connection, hold))
                await lockEvents.ExecuteNonQueryAsync();
            var attempts = new[]
            {
                PostAsync("sep24", body, WalletApp.Anchor.Header(WalletApp.Host, body, now)),
                PostAsync("sep24", again, WalletApp.Anchor.Header(WalletApp.Host, again, now.AddSeconds(2))),
            };
            await Eventually.HoldsAsync(async () => await WaitingForLocksAsync() >= 1, "no attempt waits for the lock");
            await Task.Delay(500);
            await hold.CommitAsync();
            foreach (var attempt in attempts) Assert.Equal(HttpStatusCode.OK, (await attempt).StatusCode);
        }

        Assert.Single((await app.CreateQueryClient().GetJsonAsync($"/transactions/{TransactionId(body)}/events?anchor=alpha"))["data"]!.AsArray());
    }

    private async Task<long> WaitingForLocksAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Replace(JsonObject node, string message)
    {
        node["transaction"]!["message"] = message;
        return node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static byte[] SignAscii(byte[] signed)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, StrKeySeed(), KeyBlobFormat.RawPrivateKey);
        return SignatureAlgorithm.Ed25519.Sign(key, signed);
    }

    private static byte[] StrKeySeed() =>
        Receiver.Wallet.StrKey.TryDecodeSeed(WalletApp.Anchor.Seed, out var seed) ? seed : throw new InvalidOperationException("bad seed");

    /// <summary>The body with ids of its own, so the shared app holds each case's subject apart.</summary>
    private static string Unique(ApCallback callback)
    {
        var body = callback.Body;
        if (callback.TransactionId is { } id) body = body.Replace(id, Guid.NewGuid().ToString());
        if (callback.CustomerId is { } customer) body = body.Replace(customer, Guid.NewGuid().ToString());
        return body;
    }

    private static string TransactionId(string body) => (string)JsonNode.Parse(body)!["transaction"]!["id"]!;

    private static string CustomerId(string body) => (string)JsonNode.Parse(body)!["id"]!;

    private async Task<HttpResponseMessage> PostAsync(string sep, string body, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/callbacks/alpha/{sep}")
        {
            // As AP's client sends it (OkHttp, "application/json; charset=utf-8").
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { { "Content-Type", "application/json; charset=utf-8" } } },
        };
        request.Headers.TryAddWithoutValidation("Signature", header);
        return await app.CreateClient().SendAsync(request);
    }
}
