using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// AP 2.10's Platform API over real HTTP on loopback, as its platform server answers (PlatformController):
/// <c>GET /transactions</c> with <c>sep</c>, <c>order_by</c>, <c>order</c>, <c>page_number</c> (from 0) and
/// <c>page_size</c>, answering <c>{"records": [...]}</c>; <c>GET /transactions/{id}</c>; 403 <c>{"error": "forbidden"}</c>
/// unless the request carries AP's platform credentials. It can answer garbage, fail, or hold requests at a gate.
/// </summary>
public sealed class FakePlatformApi : IAsyncDisposable
{
    public const string Secret = "platform-secret-0123456789-abcdefghijk";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _transactions = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _failuresLeft;

    private FakePlatformApi(WebApplication app, string baseUrl, string authType)
    {
        _app = app;
        BaseUrl = baseUrl;
        AuthType = authType;
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

    public int Refused { get; private set; }

    /// <summary>The most requests it was answering at the same time.</summary>
    public int MaxInFlight => _maxInFlight;

    /// <summary>The next <paramref name="count"/> requests get 503, as a platform server restarting would answer.</summary>
    public void FailNext(int count) => _failuresLeft = count;

    public void Put(JsonObject transaction) => _transactions[(string)transaction["id"]!] = (JsonObject)transaction.DeepClone();

    /// <summary>Settings that point a receiver at this API; on demand only unless the test sets an interval.</summary>
    public Dictionary<string, string?> Settings(string? secret = null) => new()
    {
        ["Reconciliation:PlatformApiBaseUrl"] = BaseUrl,
        ["Reconciliation:Auth:Type"] = AuthType,
        ["Reconciliation:Auth:Secret"] = secret ?? Secret,
        ["Reconciliation:Interval"] = "00:00:00",
        ["Reconciliation:RequestTimeout"] = "00:00:30",
    };

    /// <summary>A base URL where nothing listens: connections are refused.</summary>
    public static string Down() => $"http://127.0.0.1:{ReceiverProcess.FreePort()}";

    public static async Task<FakePlatformApi> StartAsync(string authType = "jwt")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrl = $"http://127.0.0.1:{ReceiverProcess.FreePort()}";
        builder.WebHost.UseUrls(baseUrl);
        var api = new FakePlatformApi(builder.Build(), baseUrl, authType);
        api._app.Use(api.GuardAsync);
        api._app.MapGet("/transactions", api.List);
        api._app.MapGet("/transactions/{id}", (string id) => api._transactions.TryGetValue(id, out var transaction)
            ? Results.Text(transaction.ToJsonString(), "application/json")
            : Results.Json(new { error = $"transaction (id={id}) is not found" }, statusCode: StatusCodes.Status404NotFound));
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

    private IResult List(HttpRequest request)
    {
        var query = request.Query;
        if (query["sep"] is not [{ } sep] || query["order_by"] is not ["created_at"] || query["order"] is not [("asc" or "desc") and var order])
            return Results.Json(new { error = "bad request" }, statusCode: StatusCodes.Status400BadRequest);
        var pageNumber = int.Parse(query["page_number"].FirstOrDefault() ?? "0");
        var pageSize = int.Parse(query["page_size"].FirstOrDefault() ?? "20");
        var matching = _transactions.Values.Where(t => (string?)t["sep"] == sep)
            .OrderBy(t => t["started_at"] is { } started ? DateTimeOffset.Parse((string)started!) : DateTimeOffset.MinValue).ThenBy(t => (string)t["id"]!).ToList();
        if (order == "desc") matching.Reverse();
        var page = matching.Skip(pageNumber * pageSize).Take(pageSize).Select(t => (JsonNode)t.DeepClone());
        return Results.Text(new JsonObject { ["records"] = new JsonArray([.. page]) }.ToJsonString(), "application/json");
    }

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
}
