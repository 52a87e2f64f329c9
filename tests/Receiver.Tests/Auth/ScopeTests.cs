using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Receiver.Auth;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

/// <summary>
/// Scopes of the query credentials: every endpoint behind them names the scope it needs, and each scope is let in or
/// refused on every endpoint, generated from the app's own endpoint list so a new endpoint cannot skip the check.
/// </summary>
public sealed class ScopeTests
{
    private const string ReaderKey = "scope-reader-key-0123456789";
    private const string PersonalKey = "scope-personal-key-0123456789";
    private const string OperatorKey = "scope-operator-key-0123456789";
    private const string LegacyKey = "scope-legacy-key-0123456789";
    private const string SigningKey = "scope-signing-key-0123456789-abcdefgh";

    // The endpoints no query credential guards, each with what guards it instead.
    private static readonly HashSet<string> OutsideTheQueryApi =
    [
        "POST /event", "POST /{path}/event", // AP's callback credentials
        "POST /callbacks/{anchor}/{sep:regex(^sep(6|24|31|12)$)}", // the anchors' signatures
        "GET /health/live", "GET /health/ready", "GET /metrics", // open by default (Metrics:RequireAuth)
    ];

    // What each endpoint behind the query credentials must require: the table, not the code's metadata.
    private static readonly Dictionary<string, string> ExpectedScopes = new()
    {
        ["GET /transactions"] = Scopes.Read,
        ["GET /transactions/{id}"] = Scopes.Read,
        ["GET /transactions/{id}/events"] = Scopes.Read,
        ["GET /quotes"] = Scopes.Read,
        ["GET /quotes/{id}"] = Scopes.Read,
        ["GET /customers/{id}"] = Scopes.ReadPersonal,
        ["GET /rejected-events"] = Scopes.Read,
        ["GET /rejected-events/{id:long}"] = Scopes.Read,
        ["POST /rejected-events/{id:long}/replay"] = Scopes.Operate,
        ["GET /events"] = Scopes.Read,
        ["GET /events/stream"] = Scopes.Read,
        ["GET /event/{id}"] = Scopes.Read,
        ["GET /event/sequence/{sequence_number:long}"] = Scopes.Read,
        ["GET /reconciliation/runs"] = Scopes.Read,
        ["GET /reconciliation/runs/{id:long}"] = Scopes.Read,
        ["POST /reconciliation/run"] = Scopes.Operate,
        ["GET /audit"] = Scopes.Operate,
    };

    private static ReceiverApp ScopedApp()
    {
        var settings = QueryClients.Settings(("dashboard", ReaderKey, "read"), ("compliance", PersonalKey, "read read:personal"), ("on-call", OperatorKey, "operate"));
        settings["QueryApi:Auth:ApiKey:Keys:0"] = LegacyKey;
        return ReceiverApp.With(settings);
    }

    /// <summary>"METHOD /pattern" of every endpoint, with the scope it requires (null: none declared).</summary>
    private static List<(string Method, string Pattern, bool QueryAuth, string? Scope)> Endpoints(ReceiverApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => !(endpoint.RoutePattern.RawText ?? "").StartsWith("/swagger", StringComparison.Ordinal))
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (
                method,
                "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/'),
                endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(data => data.Policy == QueryAuth.Policy),
                endpoint.Metadata.GetMetadata<RequiredScope>()?.Scope)))
            .ToList();

    /// <summary>A request for the pattern: route values that parse, and a long-poll that does not wait.</summary>
    private static HttpRequestMessage Request(string method, string pattern)
    {
        var url = pattern
            .Replace("{id:long}", "1").Replace("{sequence_number:long}", "1").Replace("{id}", "scope-test-id");
        if (url == "/events") url += "?wait=0";
        return new HttpRequestMessage(new HttpMethod(method), url);
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(ReceiverApp app, string method, string pattern, string key)
    {
        using var request = Request(method, pattern);
        request.Headers.Add("X-Api-Key", key);
        // The stream answers its headers and goes on: read only those.
        using var response = await app.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = response.StatusCode == HttpStatusCode.Forbidden ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
        return (response.StatusCode, body);
    }

    [Fact]
    public async Task Every_endpoint_is_either_outside_the_query_API_or_names_its_scope()
    {
        await using var app = ScopedApp();
        var endpoints = Endpoints(app);
        Assert.NotEmpty(endpoints);
        foreach (var (method, pattern, queryAuth, scope) in endpoints)
        {
            var name = $"{method} {pattern}";
            if (OutsideTheQueryApi.Contains(name)) Assert.False(queryAuth, $"{name} is listed as outside the query API");
            else
            {
                Assert.True(queryAuth, $"{name} is neither behind the query credentials nor listed as outside them");
                Assert.True(ExpectedScopes.TryGetValue(name, out var expected), $"{name} is not in this test's table of scopes");
                Assert.Equal((name, expected), (name, scope));
            }
        }
    }

    [Fact]
    public async Task Each_scope_is_let_in_or_refused_with_a_403_naming_the_scope_on_every_endpoint()
    {
        await using var app = ScopedApp();
        var holders = new Dictionary<string, (string Key, string[] Scopes)>
        {
            ["read"] = (ReaderKey, [Scopes.Read]),
            ["read read:personal"] = (PersonalKey, [Scopes.Read, Scopes.ReadPersonal]),
            ["operate"] = (OperatorKey, [Scopes.Operate]),
            ["legacy key"] = (LegacyKey, [.. Scopes.All]),
        };
        var checkedEndpoints = 0;
        foreach (var (method, pattern, _, _) in Endpoints(app).Where(endpoint => endpoint.QueryAuth))
        {
            checkedEndpoints++;
            var scope = ExpectedScopes[$"{method} {pattern}"];
            foreach (var (holder, (key, scopes)) in holders)
            {
                var (status, body) = await SendAsync(app, method, pattern, key);
                var name = $"{method} {pattern} with a {holder} key";
                if (scopes.Contains(scope))
                {
                    Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{name}: {status}");
                    continue;
                }
                Assert.True(status == HttpStatusCode.Forbidden, $"{name}: {status}, expected 403");
                Assert.Equal("insufficient_scope", (string?)body!["error"]);
                Assert.Equal(scope, (string?)body["scope"]);
                Assert.Contains($"'{scope}'", (string?)body["detail"]);
            }
        }
        Assert.Equal(ExpectedScopes.Count, checkedEndpoints);
    }

    [Fact]
    public async Task A_refused_operation_changes_nothing()
    {
        await using var app = ScopedApp();
        var client = app.CreateApClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostEventAsync("{\"id\":\"scope-bad\",\"type\":\"transaction_created\"}")).StatusCode);
        var rejected = await app.ScalarAsync<long>("SELECT id FROM rejected_events");

        using var replay = new HttpRequestMessage(HttpMethod.Post, $"/rejected-events/{rejected}/replay");
        replay.Headers.Add("X-Api-Key", PersonalKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.CreateClient().SendAsync(replay)).StatusCode);
        Assert.Equal(0, await app.CountAsync("rejected_events", "replayed_at IS NOT NULL"));
    }

    private static string Token(string? scope, params (string Type, object Value)[] more)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "analyst@example.com" };
        if (scope is not null) claims["scope"] = scope;
        foreach (var (type, value) in more) claims[type] = value;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.example",
            Audience = "receiver",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static ReceiverApp JwtApp(string? defaultScopes = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["QueryApi:Auth:Type"] = "jwt",
            ["QueryApi:Auth:Jwt:SigningKey"] = SigningKey,
            ["QueryApi:Auth:Jwt:Issuer"] = "https://issuer.example",
            ["QueryApi:Auth:Jwt:Audience"] = "receiver",
        };
        if (defaultScopes is not null) settings["QueryApi:Auth:Jwt:DefaultScopes"] = defaultScopes;
        return ReceiverApp.With(settings);
    }

    private static async Task<HttpResponseMessage> SendWithTokenAsync(ReceiverApp app, HttpMethod method, string url, string token)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Authorization", "Bearer " + token);
        return await app.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task A_token_holds_the_scopes_of_its_scope_claim_and_none_it_grants_itself()
    {
        await using var app = JwtApp();
        Assert.Equal(HttpStatusCode.OK, (await SendWithTokenAsync(app, HttpMethod.Get, "/transactions", Token("read"))).StatusCode);
        // Scopes of other APIs in the same token are ignored.
        Assert.Equal(HttpStatusCode.OK, (await SendWithTokenAsync(app, HttpMethod.Get, "/transactions", Token("openid read:personal profile"))).StatusCode);

        var refused = await SendWithTokenAsync(app, HttpMethod.Post, "/reconciliation/run", Token("read read:personal"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"operate\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal("operate", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["scope"]);

        // A token cannot carry Receiver's own scope claim past the check.
        Assert.Equal(HttpStatusCode.Forbidden,
            (await SendWithTokenAsync(app, HttpMethod.Post, "/reconciliation/run", Token("read", (Scopes.ClaimType, "operate")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendWithTokenAsync(app, HttpMethod.Get, "/transactions", Token("operate"))).StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, (await SendWithTokenAsync(app, HttpMethod.Post, "/reconciliation/run", Token("operate"))).StatusCode);
    }

    [Fact]
    public async Task A_token_without_a_scope_claim_holds_the_default_scopes()
    {
        await using (var asBefore = JwtApp())
            Assert.NotEqual(HttpStatusCode.Forbidden, (await SendWithTokenAsync(asBefore, HttpMethod.Post, "/reconciliation/run", Token(null))).StatusCode);

        await using var readOnly = JwtApp(defaultScopes: "read");
        Assert.Equal(HttpStatusCode.OK, (await SendWithTokenAsync(readOnly, HttpMethod.Get, "/transactions", Token(null))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendWithTokenAsync(readOnly, HttpMethod.Post, "/reconciliation/run", Token(null))).StatusCode);
    }

    [Theory]
    [InlineData("read write", "QueryApi:Auth:ApiKey:Clients:0:Scopes names 'write', which is not a scope")]
    [InlineData("", "QueryApi:Auth:ApiKey:Clients:0:Scopes is empty")]
    public async Task A_client_with_a_bad_scope_stops_the_app(string scopes, string message) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__ApiKey__Clients__0__Name"] = "dashboard",
            ["QueryApi__Auth__ApiKey__Clients__0__Key"] = ReaderKey,
            ["QueryApi__Auth__ApiKey__Clients__0__Scopes"] = scopes,
        }, message);

    [Fact]
    public async Task Two_clients_may_not_share_a_name_or_a_key() =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__ApiKey__Keys__0"] = ReaderKey,
            ["QueryApi__Auth__ApiKey__Clients__0__Name"] = "dashboard",
            ["QueryApi__Auth__ApiKey__Clients__0__Key"] = ReaderKey,
            ["QueryApi__Auth__ApiKey__Clients__0__Scopes"] = "read",
        }, "QueryApi:Auth:ApiKey: a key is given twice");
}
