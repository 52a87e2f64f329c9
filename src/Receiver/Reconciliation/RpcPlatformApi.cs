using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Receiver.Reconciliation;

/// <summary>
/// AP's JSON-RPC Platform API, AP 3.0 and later (PlatformRpcController, RpcService, GetTransactionsHandler and
/// GetTransactionHandler at 3.1.4 and 4.3.0): <c>POST</c> a JSON-RPC 2.0 batch, answered HTTP 200 with one reply per
/// request, a failure as a JSON-RPC <c>error</c> object. Each call here is a batch of one, as AP's own
/// PlatformApiClient sends (getTransactionsByRpc, getTransactionByRpc). AP 2.x has no such methods: it answers
/// error -32601.
/// </summary>
internal sealed class RpcPlatformApi(PlatformApiHttp http) : IPlatformApi
{
    private const string Version = "2.0";

    public async Task<List<JsonElement>> ListAsync(string sep, int pageNumber, int pageSize, CancellationToken cancellationToken)
    {
        var call = $"get_transactions (SEP-{sep}, page {pageNumber})";
        // AP reads params with Gson (GetTransactionsRpcRequest): enum constants by their exact name, so order_by and
        // order in upper case as its own client sends them; sep by its @SerializedName "6", "24" or "31". Nothing has a
        // default: a missing or misspelt one fails with -32603.
        var reply = await CallAsync("get_transactions", new JsonObject
        {
            ["sep"] = sep,
            ["order_by"] = "CREATED_AT",
            ["order"] = "DESC",
            ["page_number"] = pageNumber,
            ["page_size"] = pageSize,
        }, call, cancellationToken);
        if (reply.Error is { } error) throw new PlatformApiException($"{call} answered JSON-RPC error {error}");
        return PlatformApiHttp.Records(reply.Result, call);
    }

    public async Task<PlatformLookup> GetAsync(string id, CancellationToken cancellationToken)
    {
        // An unknown id is error -32603 "transaction (id=...) is not found" (TransactionService.findTransaction's
        // NotFoundException, caught as any exception by RpcService).
        var reply = await CallAsync("get_transaction", new JsonObject { ["transaction_id"] = id }, "get_transaction", cancellationToken);
        return reply.Error is { } error
            ? PlatformLookup.Missing($"get_transaction answered JSON-RPC error {error}")
            : PlatformLookup.Found(reply.Result);
    }

    private async Task<RpcReply> CallAsync(string method, JsonObject parameters, string call, CancellationToken cancellationToken)
    {
        // A string, as AP's own client sends: AP echoes the id as Gson read it, and would read a number as a long or a double.
        var requestId = Guid.NewGuid().ToString();
        var batch = new JsonArray(new JsonObject { ["id"] = requestId, ["jsonrpc"] = Version, ["method"] = method, ["params"] = parameters });
        // The base URL itself: the platform server's root, where AP serves JSON-RPC.
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var document = await http.SendAsync(request, call, cancellationToken)
                             ?? throw new PlatformApiException($"{call} answered 404: is Reconciliation:PlatformApiBaseUrl the root of AP's platform server?");
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new PlatformApiException($"{call} answered JSON that is not a JSON-RPC batch reply (an array).");

        var replies = document.RootElement.EnumerateArray().ToList();
        // A batch AP refuses whole (over rpc.batch_size_limit) gets one reply without id.
        var reply = replies.FirstOrDefault(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("id", out var id)
                                                && id.ValueKind == JsonValueKind.String && id.GetString() == requestId);
        if (reply.ValueKind == JsonValueKind.Undefined && replies is [{ ValueKind: JsonValueKind.Object } only]) reply = only;
        if (reply.ValueKind != JsonValueKind.Object)
            throw new PlatformApiException($"{call} answered no JSON-RPC reply to request {requestId}.");
        if (reply.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            return new RpcReply(default, Describe(error, method));
        if (!reply.TryGetProperty("result", out var result))
            throw new PlatformApiException($"{call} answered a JSON-RPC reply with neither result nor error.");
        return new RpcReply(result.Clone(), null);
    }

    private static string Describe(JsonElement error, string method)
    {
        var code = error.TryGetProperty("code", out var number) && number.ValueKind == JsonValueKind.Number
            ? number.GetRawText() : "(no code)";
        var message = error.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
        var described = $"{code}: {message ?? "(no message)"}";
        // AP 2.x knows no get_transaction(s) (RpcMethod.from at 2.10.2).
        return code == "-32601" ? $"{described} ({method} is served from AP 3.0; for AP 2.x set Reconciliation:Protocol=rest)" : described;
    }

    private readonly record struct RpcReply(JsonElement Result, string? Error);
}
