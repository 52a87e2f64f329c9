using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Reconciliation;

/// <summary>
/// The fake Platform API answers what AP's platform server answers (the AP file and tag of each fact are in
/// FakePlatformApi), including what Receiver never asks, so reconciliation is tested against AP and not against
/// what our client happens to send.
/// </summary>
public sealed class FakePlatformApiTests
{
    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(FakePlatformApi api, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", FakePlatformApi.Secret);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static Task<(HttpStatusCode Status, JsonNode? Body)> RpcAsync(FakePlatformApi api, string body) => SendAsync(api, HttpMethod.Post, "/", body);

    private static JsonObject Sep24(string id, string? startedAt)
    {
        var transaction = ApEvents.Sep24DepositCreated();
        transaction["id"] = id;
        transaction.Remove("started_at");
        if (startedAt is not null) transaction["started_at"] = startedAt;
        return transaction;
    }

    private static string[] Ids(JsonNode? listing) => [.. listing!["records"]!.AsArray().Select(r => (string)r!["id"]!)];

    [Fact]
    public async Task A_listing_orders_by_started_at_nulls_last_then_id_ascending_in_either_direction_with_AP_defaults()
    {
        await using var api = await FakePlatformApi.StartAsync("api_key");
        foreach (var id in new[] { "c", "a", "b" }) api.Put(Sep24(id, "2026-01-02T00:00:00.000001Z"));
        api.Put(Sep24("z-older", "2026-01-01T00:00:00Z"));
        api.Put(Sep24("0-no-start", null));

        // AllTransactionsRepositoryImpl: ORDER BY started_at {order} NULLS LAST, id ASC; order defaults to asc.
        var (status, ascending) = await SendAsync(api, HttpMethod.Get, "/transactions?sep=24");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["z-older", "a", "b", "c", "0-no-start"], Ids(ascending));
        var (_, descending) = await SendAsync(api, HttpMethod.Get, "/transactions?sep=SEP_24&order_by=CREATED_AT&order=DESC&page_size=3");
        Assert.Equal(["a", "b", "c"], Ids(descending));
        var (_, lastPage) = await SendAsync(api, HttpMethod.Get, "/transactions?sep=24&order=desc&page_size=3&page_number=1");
        Assert.Equal(["z-older", "0-no-start"], Ids(lastPage));
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest, "The \"sep\" parameter is missing.")]
    [InlineData("?sep=25", HttpStatusCode.InternalServerError, "required type 'org.stellar.anchor.api.platform.TransactionsSeps'")]
    [InlineData("?sep=24&order_by=updated_at", HttpStatusCode.InternalServerError, "required type 'org.stellar.anchor.api.platform.TransactionsOrderBy'")]
    [InlineData("?sep=24&order=newest", HttpStatusCode.InternalServerError, "required type 'org.springframework.data.domain.Sort$Direction'")]
    [InlineData("?sep=24&page_size=ten", HttpStatusCode.InternalServerError, "required type 'java.lang.Integer'")]
    [InlineData("?sep=24&page_size=-1", HttpStatusCode.InternalServerError, "LIMIT must not be negative")]
    [InlineData("?sep=24&page_number=-1", HttpStatusCode.InternalServerError, "OFFSET must not be negative")]
    public async Task A_bad_listing_parameter_gets_APs_status_and_error(string query, HttpStatusCode expected, string message)
    {
        await using var api = await FakePlatformApi.StartAsync("api_key");

        var (status, body) = await SendAsync(api, HttpMethod.Get, "/transactions" + query);

        Assert.Equal(expected, status);
        Assert.Contains(message, (string?)body!["error"]);
    }

    [Fact]
    public async Task JSON_RPC_answers_every_failure_as_an_error_object_with_HTTP_200_and_a_body_that_is_not_a_batch_with_400()
    {
        await using var api = await FakePlatformApi.StartAsync("api_key");
        api.Put(Sep24("known", "2026-01-01T00:00:00Z"));

        var (status, replies) = await RpcAsync(api, """
            [
              {"id": 1, "jsonrpc": "2.0", "method": "get_transactions",
               "params": {"sep": "24", "order_by": "CREATED_AT", "order": "DESC", "page_number": 0, "page_size": 10}},
              {"id": 2, "jsonrpc": "2.0", "method": "get_transactions",
               "params": {"sep": "24", "order_by": "created_at", "order": "desc", "page_number": 0, "page_size": 10}},
              {"id": "3", "jsonrpc": "2.0", "method": "get_transaction", "params": {"transaction_id": "unknown"}},
              {"id": 4, "jsonrpc": "1.0", "method": "get_transaction", "params": {"transaction_id": "known"}},
              {"id": 5, "jsonrpc": "2.0", "method": "get_everything", "params": {}}
            ]
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        var all = replies!.AsArray();
        Assert.Equal(["known"], Ids(all[0]!["result"]));
        // Gson reads enum constants by their exact name: lower case is null, and the null a NullPointerException.
        Assert.Equal(-32603, (int)all[1]!["error"]!["code"]!);
        Assert.Equal(2, (int)all[1]!["id"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"jsonrpc": "2.0", "error": {"id": "unknown", "code": -32603, "message": "transaction (id=unknown) is not found"}, "id": "3"}"""),
            all[2]));
        Assert.Equal(-32600, (int)all[3]!["error"]!["code"]!);
        Assert.Equal("Unsupported JSON-RPC protocol version[1.0]", (string?)all[3]!["error"]!["message"]);
        Assert.Equal(-32601, (int)all[4]!["error"]!["code"]!);

        var (single, refusal) = await RpcAsync(api, """{"id": 1, "jsonrpc": "2.0", "method": "get_transaction", "params": {"transaction_id": "known"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, single);
        Assert.Equal("Your request body is wrong in some way.", (string?)refusal!["error"]);

        var tooMany = new JsonArray([.. Enumerable.Range(0, FakePlatformApi.RpcBatchSizeLimit + 1).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = i, ["jsonrpc"] = "2.0", ["method"] = "get_transaction", ["params"] = new JsonObject { ["transaction_id"] = "known" },
        })]);
        var (_, limited) = await RpcAsync(api, tooMany.ToJsonString());
        var only = Assert.Single(limited!.AsArray())!;
        Assert.Null(only["id"]);
        Assert.Equal(-32600, (int)only["error"]!["code"]!);
    }

    [Fact]
    public async Task An_AP_2x_JSON_RPC_knows_no_get_transactions()
    {
        await using var api = await FakePlatformApi.StartAsync("api_key", jsonRpcReads: false);

        var (status, replies) = await RpcAsync(api, """[{"id": "x", "jsonrpc": "2.0", "method": "get_transactions", "params": {"sep": "24"}}]""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("No matching RPC method[get_transactions]", (string?)replies![0]!["error"]!["message"]);
    }

    [Fact]
    public async Task Timestamps_are_kept_as_APs_database_rounds_them_and_served_as_ISO_INSTANT()
    {
        await using var api = await FakePlatformApi.StartAsync("api_key");
        var transaction = Sep24("rounded", "2026-01-01T00:00:00.123456499Z");
        transaction["updated_at"] = "2026-01-01T00:59:59.999999500Z";
        transaction["completed_at"] = "2026-01-01T02:00:00.120000+01:00";

        var served = api.Put(transaction);

        Assert.Equal("2026-01-01T00:00:00.123456Z", (string?)served["started_at"]);
        Assert.Equal("2026-01-01T01:00:00Z", (string?)served["updated_at"]);
        Assert.Equal("2026-01-01T01:00:00.120Z", (string?)served["completed_at"]);
        var (_, fetched) = await SendAsync(api, HttpMethod.Get, "/transactions/rounded");
        Assert.True(JsonNode.DeepEquals(served, fetched));
    }
}
