using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Tests.Infrastructure;
using Receiver.Tests.Wallet;

namespace Receiver.Tests.PersonalData;

/// <summary>
/// Personal data through HTTP against real PostgreSQL: absent from every response and feed frame for a <c>read</c> key,
/// the marker in its place; present, as sent, for a <c>read read:personal</c> key and a legacy key. Every GET endpoint
/// of the app is asked, so that a new one cannot carry personal data past this test.
/// </summary>
public sealed class PersonalDataApiTests : IAsyncLifetime
{
    private const string ReaderKey = "personal-data-reader-key-0123456789";
    private const string PersonalKey = "personal-data-personal-key-0123456789";
    private const string CallbackHost = "wallet.test";
    private const string Withheld = "[withheld]";

    /// <summary>In every personal value posted, and in nothing else: its absence from a text is the absence of them all.</summary>
    private static readonly string Token = $"pd{Guid.NewGuid():N}";

    private readonly AnchorSigner _anchor = new();
    private ReceiverApp _app = null!;

    private JsonObject _transaction = null!;
    private JsonObject _quote = null!;
    private readonly Dictionary<string, JsonObject> _callbacks = [];
    private readonly List<string> _eventIds = [];
    private long _rejectedEvent;
    private long _rejectedNotJson;

    public async Task InitializeAsync()
    {
        var settings = QueryClients.Settings(("dashboard", ReaderKey, "read"), ("compliance", PersonalKey, "read read:personal"));
        // An operator's lines, added to the defaults.
        settings["PersonalData:Paths:0"] = "quote.creator";
        settings["PersonalData:Paths:1"] = "customer.provided_fields";
        settings["Wallet:Anchors:0:Name"] = "alpha";
        settings["Wallet:Anchors:0:SigningKey"] = _anchor.AccountId;
        settings["Wallet:Anchors:0:CallbackHost"] = CallbackHost;
        _app = ReceiverApp.With(settings);
        await _app.InitializeAsync();
        var ap = _app.CreateApClient();

        _transaction = Sep31Transaction();
        var transactionEvent = ApEvents.TransactionEvent("transaction_status_changed", _transaction);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(transactionEvent)).StatusCode);
        _eventIds.Add((string)transactionEvent["id"]!);

        var quoteEvent = ApEvents.QuoteCreated();
        _quote = quoteEvent["payload"]!["quote"]!.AsObject();
        _quote["creator"] = new JsonObject { ["account"] = Token };
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(quoteEvent)).StatusCode);
        _eventIds.Add((string)quoteEvent["id"]!);

        // Refused as invalid (an unknown status), kept verbatim as a rejected event; and a body that is not JSON.
        var invalid = ApEvents.TransactionEvent("transaction_status_changed", Sep31Transaction().Set("status", "\"not_a_status\""));
        Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync(invalid)).StatusCode);
        _rejectedEvent = await _app.ScalarAsync<long>("SELECT id FROM rejected_events WHERE event_id = $1", (string)invalid["id"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync($"{{\"memo\": \"{Token}\"")).StatusCode);
        _rejectedNotJson = await _app.ScalarAsync<long>("SELECT max(id) FROM rejected_events");

        // A wallet's callbacks (AP@4.3.0 Sep24 DepositTransactionResponse, Sep31GetTransactionResponse, Sep12GetCustomerResponse).
        _callbacks["sep24"] = JsonNode.Parse($$$"""
            {"transaction":{"deposit_memo":"{{{Token}}}-24","deposit_memo_type":"text","id":"{{{ApEvents.NewId()}}}","kind":"deposit","status":"pending_user_transfer_start","started_at":"2024-06-25T20:33:17.013738Z","to":"{{{ApEvents.UserAccount}}}"}}
            """)!.AsObject();
        _callbacks["sep31"] = JsonNode.Parse($$$"""
            {"transaction":{"id":"{{{ApEvents.NewId()}}}","status":"pending_sender","started_at":"2024-06-25T20:33:17.013738Z","updated_at":"2024-06-25T20:34:00Z","stellar_account_id":"{{{ApEvents.DistributionAccount}}}","stellar_memo":"{{{Token}}}-31","stellar_memo_type":"text"}}
            """)!.AsObject();
        _callbacks["sep12"] = JsonNode.Parse($$$"""
            {"id":"{{{ApEvents.NewId()}}}","status":"ACCEPTED","provided_fields":{"first_name":{"type":"string","description":"{{{Token}}}-name","status":"ACCEPTED"} } }
            """)!.AsObject();
        foreach (var (sep, body) in _callbacks)
        {
            var response = await _anchor.PostSignedAsync(_app.CreateClient(), $"/callbacks/alpha/{sep}", CallbackHost, body.ToJsonString());
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{sep}: {await response.Content.ReadAsStringAsync()}");
        }
        _eventIds.AddRange(await ListAsync("SELECT id FROM events WHERE source = 'callback' ORDER BY seq"));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _anchor.Dispose();
    }

    /// <summary>
    /// A SEP-31 transaction as AP 4.x sends it: PlatformTransactionData and GetTransactionResponse at AP@4.3.0
    /// (api-schema/.../platform/): accounts and memo from 3.0, request_client_ip_address from 4.1, refund_memo,
    /// stellar_transactions with their memos; and SEP-31's fields map after 4.3.0 (docs/anchor-platform.md).
    /// </summary>
    private static JsonObject Sep31Transaction()
    {
        var transaction = ApEvents.Sep31PendingReceiver();
        transaction["fundingMethod"] = "SEPA";
        transaction["source_account"] = ApEvents.UserAccount;
        transaction["destination_account"] = ApEvents.DistributionAccount;
        transaction["memo"] = $"{Token}-memo";
        transaction["memo_type"] = "text";
        transaction["refund_memo"] = $"{Token}-refund";
        transaction["refund_memo_type"] = "text";
        transaction["request_client_ip_address"] = $"203.0.113.7 {Token}";
        transaction["fields"] = new JsonObject { ["receiver_account_number"] = $"DE89{Token}", ["receiver_first_name"] = $"Jane {Token}" };
        transaction["stellar_transactions"]![0]!["memo"] = $"{Token}-tx0";
        transaction["stellar_transactions"]!.AsArray().Add(new JsonObject { ["id"] = "second", ["memo"] = $"{Token}-tx1", ["memo_type"] = "text" });
        return transaction;
    }

    /// <summary>The transaction as a <c>read</c> caller is shown it: each default path's value the marker, nothing else changed.</summary>
    private JsonNode TransactionWithheld()
    {
        var shown = _transaction.DeepClone().AsObject();
        foreach (var member in new[] { "memo", "refund_memo", "request_client_ip_address", "fields" }) shown[member] = Withheld;
        foreach (var item in shown["stellar_transactions"]!.AsArray()) item!["memo"] = Withheld;
        return shown;
    }

    /// <summary>
    /// Every GET endpoint of the app, with the requests that make it answer what was posted here (empty: what it
    /// answers carries nothing of an event's body, and it is asked anyway). A GET endpoint missing here fails.
    /// </summary>
    private Dictionary<string, string[]> Requests()
    {
        var transactionIds = new[] { (string)_transaction["id"]! }
            .Concat(_callbacks.Where(c => c.Key != "sep12").Select(c => $"{c.Value["transaction"]!["id"]}?anchor=alpha"));
        return new Dictionary<string, string[]>
        {
            ["/transactions"] = ["/transactions?limit=250"],
            ["/transactions/{id}"] = [.. transactionIds.Select(id => $"/transactions/{id}")],
            ["/transactions/{id}/events"] = [$"/transactions/{_transaction["id"]}/events"],
            ["/quotes"] = ["/quotes"],
            ["/quotes/{id}"] = [$"/quotes/{_quote["id"]}"],
            ["/customers/{id}"] = [$"/customers/{_transaction["customers"]!["receiver"]!["id"]}"],
            ["/rejected-events"] = ["/rejected-events"],
            ["/rejected-events/{id:long}"] = [$"/rejected-events/{_rejectedEvent}", $"/rejected-events/{_rejectedNotJson}"],
            ["/events"] = ["/events?wait=0&limit=250"],
            ["/events/stream"] = ["/events/stream?limit=2"],
            ["/event/{id}"] = [.. _eventIds.Select(id => $"/event/{id}")],
            ["/event/sequence/{sequence_number:long}"] = [.. Enumerable.Range(1, 12).Select(n => $"/event/sequence/{n}")],
            ["/reconciliation/runs"] = ["/reconciliation/runs"],
            ["/reconciliation/runs/{id:long}"] = ["/reconciliation/runs/1"],
            // Records of requests (ids and filters as in their URLs), never a stored body.
            ["/audit"] = ["/audit?limit=250"],
            ["/health/live"] = ["/health/live"],
            ["/health/ready"] = ["/health/ready"],
            ["/metrics"] = ["/metrics"],
        };
    }

    private List<string> GetPatterns() =>
        _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? true)
            .Select(endpoint => "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/'))
            // Swagger UI and the contract, which describe the API and carry no stored data.
            .Where(pattern => !pattern.StartsWith("/swagger", StringComparison.Ordinal))
            .ToList();

    [Fact]
    public void This_test_knows_every_GET_endpoint_of_the_app()
    {
        var known = Requests();
        Assert.Equal(known.Keys.Order(), GetPatterns().Distinct().Order());
    }

    [Fact]
    public async Task A_read_key_gets_no_personal_value_from_any_endpoint_and_the_marker_where_each_was()
    {
        var reader = Client(ReaderKey);
        var markers = 0;
        foreach (var pattern in GetPatterns())
        {
            foreach (var url in Requests()[pattern])
            {
                var text = await GetTextAsync(reader, url);
                Assert.False(text.Contains(Token, StringComparison.Ordinal), $"GET {url} showed a personal value to a read key: {text}");
                Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Token))[..20], text);
                markers += text.Split(Withheld).Length - 1;
            }
        }
        Assert.True(markers > 0);
    }

    [Fact]
    public async Task A_read_key_is_shown_each_body_with_the_marker_in_place_of_each_personal_value_and_nothing_else_changed()
    {
        var reader = Client(ReaderKey);
        var id = (string)_transaction["id"]!;
        var withheld = TransactionWithheld();

        AssertJson(withheld, await reader.GetJsonAsync($"/transactions/{id}"));
        AssertJson(withheld, (await reader.GetJsonAsync("/transactions?limit=250"))["data"]!.AsArray().Single(t => (string?)t!["id"] == id));
        AssertJson(new JsonObject { ["transaction"] = withheld.DeepClone() }, (await reader.GetJsonAsync($"/event/{_eventIds[0]}"))["payload"]);
        var quote = _quote.DeepClone().AsObject();
        quote["creator"] = Withheld;
        AssertJson(quote, await reader.GetJsonAsync($"/quotes/{_quote["id"]}"));
        AssertJson(quote, (await reader.GetJsonAsync("/quotes"))["data"]![0]);

        // A callback's memos where each SEP puts them, in the snapshot and in the feed; a SEP-12 body is the customer.
        var sep24 = _callbacks["sep24"].DeepClone();
        sep24["transaction"]!["deposit_memo"] = Withheld;
        AssertJson(sep24["transaction"], await reader.GetJsonAsync($"/transactions/{sep24["transaction"]!["id"]}?anchor=alpha"));
        var sep12 = _callbacks["sep12"].DeepClone();
        sep12["provided_fields"] = Withheld;
        var feed = (await reader.GetJsonAsync("/events?wait=0&limit=250"))["data"]!.AsArray();
        AssertJson(sep24, feed.Single(e => (string?)e!["id"] == _eventIds[2])!["payload"]);
        AssertJson(sep12, feed.Single(e => (string?)e!["id"] == _eventIds[4])!["payload"]);

        // The stream's frames carry the same payloads.
        var (response, stream) = await SseReader.OpenAsync(reader, "/events/stream?limit=2");
        using (response)
        using (stream)
        {
            var streamed = await stream.EventsAsync(_eventIds.Count);
            AssertJson(new JsonObject { ["transaction"] = withheld.DeepClone() }, streamed.Single(e => (string?)e.Event["id"] == _eventIds[0]).Event["payload"]);
            AssertJson(sep12, streamed.Single(e => (string?)e.Event["id"] == _eventIds[4]).Event["payload"]);
        }

        // A rejected AP event: its payload withheld, in the text and in the base64; a body that is no AP event, whole.
        var rejected = await reader.GetJsonAsync($"/rejected-events/{_rejectedEvent}");
        var shownBody = JsonNode.Parse((string)rejected["body"]!)!;
        Assert.Equal(Withheld, (string?)shownBody["payload"]!["transaction"]!["memo"]);
        Assert.Equal(Withheld, (string?)shownBody["payload"]!["transaction"]!["fields"]);
        Assert.Equal("not_a_status", (string?)shownBody["payload"]!["transaction"]!["status"]);
        Assert.Equal((string)rejected["body"]!, Encoding.UTF8.GetString(Convert.FromBase64String((string)rejected["body_base64"]!)));
        var notJson = await reader.GetJsonAsync($"/rejected-events/{_rejectedNotJson}");
        Assert.Equal((Withheld, Withheld), ((string?)notJson["body"], (string?)notJson["body_base64"]));
    }

    [Theory]
    [InlineData(PersonalKey)]
    [InlineData(ReceiverApp.QueryKey)]
    public async Task A_read_personal_key_and_a_legacy_key_are_shown_every_body_as_it_was_sent(string key)
    {
        var client = Client(key);
        foreach (var pattern in GetPatterns())
        {
            foreach (var url in Requests()[pattern])
                Assert.DoesNotContain(Withheld, await GetTextAsync(client, url));
        }

        var id = (string)_transaction["id"]!;
        AssertJson(_transaction, await client.GetJsonAsync($"/transactions/{id}"));
        AssertJson(_quote, await client.GetJsonAsync($"/quotes/{_quote["id"]}"));
        var feed = (await client.GetJsonAsync("/events?wait=0&limit=250"))["data"]!.AsArray();
        AssertJson(new JsonObject { ["transaction"] = _transaction.DeepClone() }, feed.Single(e => (string?)e!["id"] == _eventIds[0])!["payload"]);
        // The feed's payloads byte for byte as posted: AP's payload, and each callback's whole body.
        Assert.Contains(new JsonObject { ["transaction"] = _transaction.DeepClone() }.ToJsonString(), await GetTextAsync(client, $"/event/{_eventIds[0]}"));
        foreach (var (index, sep) in new[] { (2, "sep24"), (3, "sep31"), (4, "sep12") })
            Assert.Contains(_callbacks[sep].ToJsonString(), (await GetTextAsync(client, $"/event/{_eventIds[index]}")));
        var rejected = await client.GetJsonAsync($"/rejected-events/{_rejectedNotJson}");
        Assert.Equal($"{{\"memo\": \"{Token}\"", (string?)rejected["body"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/transactions?account={ApEvents.UserAccount}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/transactions?customer_id={_transaction["customers"]!["receiver"]!["id"]}")).StatusCode);
    }

    [Theory]
    [InlineData("account=" + ApEvents.UserAccount)]
    [InlineData("customer_id=31212353-f265-4dba-9eb4-0bbeda3ba7f2")]
    [InlineData("sep=31&account=" + ApEvents.UserAccount + "&limit=5")]
    public async Task A_read_key_may_not_look_a_person_up(string filter)
    {
        var refused = await Client(ReaderKey).GetJsonAsync($"/transactions?{filter}", HttpStatusCode.Forbidden);

        Assert.Equal(403, (int?)refused["status"]);
        Assert.Equal("insufficient_scope", (string?)refused["error"]);
        Assert.Equal("read:personal", (string?)refused["scope"]);
    }

    [Fact]
    public async Task A_read_key_may_not_ask_which_transactions_a_customer_has()
    {
        var customer = $"/customers/{_transaction["customers"]!["receiver"]!["id"]}";
        var refused = await Client(ReaderKey).GetJsonAsync(customer, HttpStatusCode.Forbidden);
        Assert.Equal("read:personal", (string?)refused["scope"]);
        Assert.Equal(_transaction["id"]!.ToString(), (string?)(await Client(PersonalKey).GetJsonAsync(customer))["transaction_ids"]![0]);
    }

    private HttpClient Client(string key)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>The answer's text; for the stream, its frames until every event posted here has come.</summary>
    private async Task<string> GetTextAsync(HttpClient client, string url)
    {
        if (url.StartsWith("/events/stream", StringComparison.Ordinal))
        {
            var (response, stream) = await SseReader.OpenAsync(client, url);
            using (response)
            using (stream)
                return string.Join('\n', (await stream.EventsAsync(_eventIds.Count)).Select(e => e.Event.ToJsonString()));
        }
        using var answer = await client.GetAsync(url);
        return await answer.Content.ReadAsStringAsync();
    }

    private static void AssertJson(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
