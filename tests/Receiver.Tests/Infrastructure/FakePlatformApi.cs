using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// AP's Platform API over real HTTP on loopback, answering as AP's platform server does at 2.10.2, 3.1.4 and 4.3.0,
/// whatever our client asks:
/// <list type="bullet">
/// <item>REST, every line (PlatformController, TransactionService, AllTransactionsRepositoryImpl, StringEnumConverter,
/// AbstractControllerExceptionHandler): <c>GET /transactions</c> and <c>GET /transactions/{id}</c>.</item>
/// <item>JSON-RPC, AP 3.0 and later (PlatformRpcController, RpcService, RpcUtil, GetTransactionsHandler,
/// GetTransactionHandler at 3.1.4 and 4.3.0): <c>POST /</c> with a batch; AP 2.x answers -32601 to the reads.</item>
/// </list>
/// It keeps each transaction as AP's database gives it back: timestamps rounded half up to the microsecond. 403
/// <c>{"error": "forbidden"}</c> unless the request carries AP's platform credentials. It can answer garbage, fail,
/// or hold requests at a gate. The <c>statuses</c> filter is not served: Receiver never sends it.
/// </summary>
public sealed partial class FakePlatformApi : IAsyncDisposable
{
    public const string Secret = "platform-secret-0123456789-abcdefghijk";

    /// <summary>AP's default <c>rpc.batch_size_limit</c> (anchor-config-default-values.yaml at 4.3.0).</summary>
    public const int RpcBatchSizeLimit = 40;

    // The Instant members of AP's transactions, each in a timestamp column (JdbcSepTransaction and its subclasses).
    private static readonly string[] InstantMembers = ["started_at", "updated_at", "completed_at", "transfer_received_at", "user_action_required_by"];

    // TransactionsSeps with its @SerializedName, TransactionsOrderBy with its column, Sort.Direction (4.3.0).
    private static readonly (string Constant, string Serialized)[] Seps = [("SEP_6", "6"), ("SEP_24", "24"), ("SEP_31", "31")];
    private static readonly (string Constant, string Column)[] OrderBys =
        [("CREATED_AT", "started_at"), ("TRANSFER_RECEIVED_AT", "transfer_received_at"), ("USER_ACTION_REQUIRED_BY", "user_action_required_by")];
    private static readonly string[] Directions = ["ASC", "DESC"];

    private readonly WebApplication _app;
    private readonly bool _jsonRpcReads;
    private readonly ConcurrentDictionary<string, JsonObject> _transactions = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<JsonObject> _rpcCalls = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _failuresLeft;

    private FakePlatformApi(WebApplication app, string baseUrl, string authType, bool jsonRpcReads)
    {
        _app = app;
        BaseUrl = baseUrl;
        AuthType = authType;
        _jsonRpcReads = jsonRpcReads;
    }

    public string BaseUrl { get; }

    /// <summary><c>jwt</c> or <c>api_key</c>, as AP's <c>platform_server.auth.type</c>.</summary>
    public string AuthType { get; }

    /// <summary>Answer 200 with a body that is not JSON.</summary>
    public bool AnswersGarbage { get; set; }

    /// <summary>While set, every request waits until it completes.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Completes when a request reaches the API (set it before the request is made).</summary>
    public TaskCompletionSource? Reached { get; set; }

    /// <summary>Path and query of every request answered, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Every JSON-RPC request of every batch, in order, as sent.</summary>
    public IReadOnlyList<JsonObject> RpcCalls => [.. _rpcCalls];

    public int Refused { get; private set; }

    /// <summary>The most requests it was answering at the same time.</summary>
    public int MaxInFlight => _maxInFlight;

    /// <summary>The next <paramref name="count"/> requests get 503, as a platform server restarting would answer.</summary>
    public void FailNext(int count) => _failuresLeft = count;

    /// <summary>Stores the transaction as AP's database keeps it, and answers it as AP then serves it.</summary>
    public JsonObject Put(JsonObject transaction)
    {
        var stored = (JsonObject)transaction.DeepClone();
        foreach (var name in InstantMembers)
            if (stored[name] is JsonValue value && value.TryGetValue<string>(out var text) && AsApServesIt(text) is { } served)
                stored[name] = served;
        _transactions[(string)stored["id"]!] = stored;
        return (JsonObject)stored.DeepClone();
    }

    /// <summary>Settings that point a receiver at this API; on demand only unless the test sets an interval.</summary>
    public Dictionary<string, string?> Settings(string? secret = null, string protocol = "rest") => new()
    {
        ["Reconciliation:PlatformApiBaseUrl"] = BaseUrl,
        ["Reconciliation:Protocol"] = protocol,
        ["Reconciliation:Auth:Type"] = AuthType,
        ["Reconciliation:Auth:Secret"] = secret ?? Secret,
        ["Reconciliation:Interval"] = "00:00:00",
        ["Reconciliation:RequestTimeout"] = "00:00:30",
    };

    /// <summary>A base URL where nothing listens: connections are refused.</summary>
    public static string Down() => $"http://127.0.0.1:{ReceiverProcess.FreePort()}";

    /// <param name="authType"><c>jwt</c> or <c>api_key</c>.</param>
    /// <param name="jsonRpcReads">AP 3.0 and later; false answers as AP 2.x, whose JSON-RPC has no reads.</param>
    public static async Task<FakePlatformApi> StartAsync(string authType = "jwt", bool jsonRpcReads = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrl = $"http://127.0.0.1:{ReceiverProcess.FreePort()}";
        builder.WebHost.UseUrls(baseUrl);
        var api = new FakePlatformApi(builder.Build(), baseUrl, authType, jsonRpcReads);
        api._app.Use(api.GuardAsync);
        api._app.MapGet("/transactions", api.List);
        api._app.MapGet("/transactions/{id}", (string id) => api._transactions.TryGetValue(id, out var transaction)
            ? Json(transaction)
            : Error(StatusCodes.Status404NotFound, NotFound(id)));
        api._app.MapPost("/", api.RpcAsync);
        await api._app.StartAsync();
        return api;
    }

    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        Reached?.TrySetResult();
        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        try
        {
            if (Gate is { } gate) await gate.Task.WaitAsync(TimeSpan.FromMinutes(2));
            _requests.Enqueue(context.Request.Path + context.Request.QueryString);
            if (!await IsAuthorizedAsync(context.Request))
            {
                Refused++;
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { error = "forbidden" });
            }
            else if (Interlocked.Decrement(ref _failuresLeft) >= 0)
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            else if (AnswersGarbage)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"records\": [{\"id\": \"tx-1\", <html>oops</html>");
            }
            else await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>AP's PlatformAuthJwt: HS256 over the secret's UTF-8 bytes, iat and exp only, in <c>Authorization: Bearer</c>.</summary>
    private async Task<bool> IsAuthorizedAsync(HttpRequest request)
    {
        if (AuthType == "api_key") return request.Headers["X-Api-Key"] == Secret;
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(header["Bearer ".Length..], new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            RequireExpirationTime = true,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)),
        });
        return result.IsValid && result.Claims.Keys.Order().SequenceEqual(["exp", "iat"]);
    }

    /// <summary>
    /// PlatformController.getTransactions: <c>sep</c> required (400 naming it when missing, from
    /// AbstractControllerExceptionHandler); <c>order_by</c> (default created_at), <c>order</c> (default asc),
    /// <c>page_number</c> (default 0), <c>page_size</c> (default 20, no upper bound). A value the converters cannot
    /// read fails the argument binding, which only the handler of last resort catches: 500 with Spring's message.
    /// </summary>
    private IResult List(HttpRequest request)
    {
        var query = request.Query;
        if (query["sep"].FirstOrDefault() is not { } sepText) return Error(StatusCodes.Status400BadRequest, "The \"sep\" parameter is missing.");
        var sep = Seps.FirstOrDefault(s => Converts(s.Constant, s.Serialized, sepText));
        if (sep.Constant is null) return ConversionFailed("org.stellar.anchor.api.platform.TransactionsSeps", sepText);
        var orderByText = query["order_by"].FirstOrDefault() ?? "created_at";
        var orderBy = OrderBys.FirstOrDefault(o => Converts(o.Constant, null, orderByText));
        if (orderBy.Constant is null)
            return ConversionFailed("org.stellar.anchor.api.platform.TransactionsOrderBy", orderByText);
        var orderText = query["order"].FirstOrDefault() ?? "asc";
        if (Directions.FirstOrDefault(d => Converts(d, null, orderText)) is not { } order)
            return ConversionFailed("org.springframework.data.domain.Sort$Direction", orderText);
        var pageNumberText = query["page_number"].FirstOrDefault() ?? "0";
        if (!int.TryParse(pageNumberText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pageNumber))
            return ConversionFailed("java.lang.Integer", pageNumberText);
        var pageSizeText = query["page_size"].FirstOrDefault() ?? "20";
        if (!int.TryParse(pageSizeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pageSize))
            return ConversionFailed("java.lang.Integer", pageSizeText);

        var listing = Find(sep.Serialized, orderBy.Column, order == "DESC", pageNumber, pageSize);
        return listing.Records is { } records
            ? Json(new JsonObject { ["records"] = records })
            : Error(StatusCodes.Status500InternalServerError, listing.DatabaseError!);
    }

    /// <summary>
    /// AllTransactionsRepositoryImpl's native query, the same at 2.10.2, 3.1.4 and 4.3.0:
    /// <c>ORDER BY {column} {order} NULLS LAST, id ASC LIMIT {page_size} OFFSET {page_number * page_size}</c>, the
    /// offset multiplied in Java ints. PostgreSQL refuses a negative limit or offset.
    /// </summary>
    private (JsonArray? Records, string? DatabaseError) Find(string sep, string column, bool descending, int pageNumber, int pageSize)
    {
        var offset = unchecked(pageNumber * pageSize);
        if (pageSize < 0) return (null, "ERROR: LIMIT must not be negative");
        if (offset < 0) return (null, "ERROR: OFFSET must not be negative");
        var matching = _transactions.Values.Where(t => (string?)t["sep"] == sep)
            .Select(t => (Transaction: t, Key: t[column] is JsonValue value && value.TryGetValue<string>(out var text)
                ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : (DateTimeOffset?)null))
            .ToList();
        var ordered = matching.OrderBy(t => t.Key is null); // NULLS LAST, either way
        ordered = descending ? ordered.ThenByDescending(t => t.Key) : ordered.ThenBy(t => t.Key);
        var page = ordered.ThenBy(t => (string)t.Transaction["id"]!, StringComparer.Ordinal)
            .Skip(offset).Take(pageSize).Select(t => (JsonNode)t.Transaction.DeepClone());
        return (new JsonArray([.. page]), null);
    }

    /// <summary>StringEnumConverter: the constant whose @SerializedName is the text exactly, else whose name it is in any case.</summary>
    private static bool Converts(string constant, string? serializedName, string text) =>
        serializedName == text || constant.Equals(text, StringComparison.OrdinalIgnoreCase);

    private static IResult ConversionFailed(string javaType, string value) => Error(StatusCodes.Status500InternalServerError,
        $"Failed to convert value of type 'java.lang.String' to required type '{javaType}'; Failed to convert from type " +
        $"[java.lang.String] to type [@org.springframework.web.bind.annotation.RequestParam {javaType}] for value [{value}]");

    /// <summary>
    /// PlatformRpcController: the body must be a JSON array (else 400 from AbstractControllerExceptionHandler); at
    /// most <see cref="RpcBatchSizeLimit"/> requests (else one error reply without id); one reply per request, each
    /// failure a JSON-RPC error object, all with HTTP 200 (RpcService.handle).
    /// </summary>
    private async Task<IResult> RpcAsync(HttpRequest request)
    {
        JsonArray batch;
        try
        {
            batch = await JsonNode.ParseAsync(request.Body) as JsonArray ?? throw new JsonException("not an array");
            if (batch.Any(call => call is not JsonObject)) throw new JsonException("not an array of objects");
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, "Your request body is wrong in some way.");
        }
        if (batch.Count > RpcBatchSizeLimit)
            return Json(new JsonArray(new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["error"] = new JsonObject { ["code"] = -32600, ["message"] = $"RPC batch size limit[{RpcBatchSizeLimit}] exceeded" },
            }));

        var replies = new JsonArray();
        foreach (var call in batch.Cast<JsonObject>())
        {
            _rpcCalls.Enqueue((JsonObject)call.DeepClone());
            replies.Add(Reply(call));
        }
        return Json(replies);
    }

    /// <summary>RpcService.handle for one request; Gson leaves out what is null, so an absent id stays absent.</summary>
    private JsonObject Reply(JsonObject call)
    {
        var reply = new JsonObject { ["jsonrpc"] = "2.0" };
        try
        {
            ValidateRpcRequest(call);
            reply["result"] = Invoke((string)call["method"]!, call["params"] as JsonObject);
        }
        catch (RpcError e)
        {
            // RpcUtil.getRpcErrorResponse: the error names the params' transaction_id when there is one.
            var error = new JsonObject();
            if (GsonString(call["params"]?["transaction_id"]) is { } transactionId) error["id"] = transactionId;
            error["code"] = e.Code;
            error["message"] = e.Message;
            reply["error"] = error;
        }
        if (call["id"] is { } id) reply["id"] = id.DeepClone();
        return reply;
    }

    /// <summary>RpcUtil.validateRpcRequest: every problem, joined by ';', as -32600.</summary>
    private static void ValidateRpcRequest(JsonObject call)
    {
        var problems = new List<string>();
        if (GsonString(call["jsonrpc"]) is not "2.0") problems.Add($"Unsupported JSON-RPC protocol version[{GsonString(call["jsonrpc"]) ?? "null"}]");
        if (string.IsNullOrEmpty(GsonString(call["method"]))) problems.Add("Method name can't be NULL or empty");
        if (call["id"] is null) problems.Add("Id can't be NULL");
        else if (call["id"]!.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number)) problems.Add("An identifier MUST contain a String or a Number");
        if (problems.Count > 0) throw new RpcError(-32600, string.Join(";", problems));
    }

    private JsonNode Invoke(string method, JsonObject? parameters)
    {
        // RpcMethod.from: AP 2.x has no get_transaction(s); the fake serves no other method.
        if (!_jsonRpcReads || method is not ("get_transactions" or "get_transaction"))
            throw new RpcError(-32601, $"No matching RPC method[{method}]");
        return method == "get_transactions" ? GetTransactions(parameters) : GetTransaction(parameters);
    }

    /// <summary>
    /// GetTransactionsHandler: Gson reads the params (GetTransactionsRpcRequest) — enum constants by their exact
    /// name or @SerializedName, anything else null — and nothing has a default, so a missing or unreadable one ends
    /// in a NullPointerException, which RpcService answers as -32603 with its message.
    /// </summary>
    private JsonNode GetTransactions(JsonObject? parameters)
    {
        var sepText = GsonString(parameters?["sep"]);
        var sep = Seps.FirstOrDefault(s => s.Serialized == sepText || s.Constant == sepText);
        var orderByText = GsonString(parameters?["order_by"]);
        var orderBy = OrderBys.FirstOrDefault(o => o.Constant == orderByText);
        var order = Directions.FirstOrDefault(d => d == GsonString(parameters?["order"]));
        var pageNumber = GsonInteger(parameters?["page_number"]);
        var pageSize = GsonInteger(parameters?["page_size"]);
        if (sep.Constant is null) throw NullPointer("\"org.stellar.anchor.api.platform.TransactionsSeps.ordinal()\" because \"sep\" is null");
        if (pageNumber is null || pageSize is null)
            throw NullPointer("\"java.lang.Integer.intValue()\" because the return value of \"org.stellar.anchor.util.TransactionsParams.getPageNumber()\" is null");
        if (orderBy.Constant is null)
            throw NullPointer("\"org.stellar.anchor.api.platform.TransactionsOrderBy.getTableName()\" because the return value of \"org.stellar.anchor.util.TransactionsParams.getOrderBy()\" is null");
        if (order is null)
            throw NullPointer("\"org.springframework.data.domain.Sort$Direction.name()\" because the return value of \"org.stellar.anchor.util.TransactionsParams.getOrder()\" is null");

        var listing = Find(sep.Serialized, orderBy.Column, order == "DESC", pageNumber.Value, pageSize.Value);
        return listing.Records is { } records ? new JsonObject { ["records"] = records } : throw new RpcError(-32603, listing.DatabaseError!);
    }

    /// <summary>
    /// GetTransactionHandler → TransactionService.findTransaction: an empty id is a BadRequestException (-32602); an
    /// unknown one a NotFoundException, which RpcService catches as any exception (-32603).
    /// </summary>
    private JsonNode GetTransaction(JsonObject? parameters)
    {
        var id = GsonString(parameters?["transaction_id"]);
        if (string.IsNullOrEmpty(id)) throw new RpcError(-32602, "transaction id cannot be empty");
        return _transactions.TryGetValue(id, out var transaction) ? transaction.DeepClone() : throw new RpcError(-32603, NotFound(id));
    }

    private static RpcError NullPointer(string what) => new(-32603, $"Cannot invoke {what}");

    private static string NotFound(string id) => $"transaction (id={id}) is not found";

    /// <summary>What Gson's String and enum adapters read: a string, or a number's text.</summary>
    private static string? GsonString(JsonNode? node) => node is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
        ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
        : null;

    /// <summary>What Gson's Integer adapter reads; anything else is a JsonSyntaxException, answered -32603.</summary>
    private static int? GsonInteger(JsonNode? node)
    {
        if (node is null) return null;
        return GsonString(node) is { } text && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new RpcError(-32603, $"java.lang.NumberFormatException: For input string: \"{node.ToJsonString()}\"");
    }

    /// <summary>
    /// A published instant as AP's Platform API answers it once stored: pgjdbc writes it to the timestamp column
    /// rounded half up to the microsecond (TimestampUtils.toString: a sub-microsecond part over 499 ns adds one), and
    /// GsonUtils formats it back with ISO_INSTANT (UTC; no, three or six fractional digits, as needed). Null when it is
    /// not an RFC 3339 instant (AP would never have stored it).
    /// </summary>
    private static string? AsApServesIt(string published)
    {
        var match = PublishedInstant().Match(published);
        if (!match.Success
            || !DateTimeOffset.TryParse(match.Groups["seconds"].Value + match.Groups["zone"].Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var seconds))
            return null;
        var nanos = long.Parse(match.Groups["fraction"].Value.PadRight(9, '0'), CultureInfo.InvariantCulture);
        var micros = nanos / 1000 + (nanos % 1000 > 499 ? 1 : 0);
        var stored = seconds.ToUniversalTime().AddTicks(micros * 10);
        var fraction = (stored.UtcTicks % TimeSpan.TicksPerSecond / 10).ToString("D6", CultureInfo.InvariantCulture);
        var digits = fraction == "000000" ? 0 : fraction.EndsWith("000", StringComparison.Ordinal) ? 3 : 6;
        return stored.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
               + (digits == 0 ? "" : "." + fraction[..digits]) + "Z";
    }

    [GeneratedRegex(@"^(?<seconds>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?<fraction>\d{1,9}))?(?<zone>Z|[+-]\d\d:\d\d)$")]
    private static partial Regex PublishedInstant();

    private static IResult Json(JsonNode body) => Results.Text(body.ToJsonString(), "application/json");

    /// <summary>AP's SepExceptionResponse.</summary>
    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        await _app.DisposeAsync();
    }

    private sealed class RpcError(int code, string message) : Exception(message)
    {
        public int Code { get; } = code;
    }
}
