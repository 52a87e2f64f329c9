using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>The query API has credentials of its own: AP's never open it, and its own never open /event.</summary>
public sealed class QueryAuthTests
{
    private const string CallbackSecret = "callback-secret-0123456789-abcdefghij";
    private const string OldKey = "query-key-old-0123456789";
    private const string NewKey = "query-key-new-0123456789";

    private static readonly string[] QueryUrls =
    [
        "/transactions", "/transactions/some-id", "/transactions/some-id/events", "/quotes", "/quotes/some-id",
        "/customers/some-id", "/rejected-events", "/rejected-events/1",
    ];

    private static ReceiverApp ApiKeyApp() => ReceiverApp.With(new Dictionary<string, string?>
    {
        ["CallbackApi:Auth:Type"] = "api_key",
        ["CallbackApi:Auth:Secret"] = CallbackSecret,
        ["QueryApi:Auth:ApiKey:Keys:0"] = OldKey,
        ["QueryApi:Auth:ApiKey:Keys:1"] = NewKey,
    });

    private static async Task<HttpStatusCode> SendAsync(ReceiverApp app, HttpMethod method, string url, string? header = null, string? value = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", new MediaTypeHeaderValue("application/json"));
        return (await app.CreateClient().SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task Without_a_key_or_with_a_wrong_one_every_query_is_401_with_a_problem()
    {
        await using var app = ApiKeyApp();
        foreach (var url in QueryUrls)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, url));
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, url, "X-Api-Key", "query-key-wrong-0123456789"));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Post, "/rejected-events/1/replay"));

        var response = await app.CreateClient().GetAsync("/transactions");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_api_key", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
    }

    [Fact]
    public async Task Every_configured_key_opens_the_query_API_so_keys_can_be_rotated()
    {
        await using var app = ApiKeyApp();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions", "X-Api-Key", OldKey));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions", "X-Api-Key", NewKey));
    }

    [Fact]
    public async Task The_event_secret_never_opens_the_query_API_and_a_query_key_never_opens_event()
    {
        await using var app = ApiKeyApp();
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "X-Api-Key", CallbackSecret));

        var body = ApEvents.CustomerUpdated().ToJsonString();
        var asQuery = app.CreateClient();
        asQuery.DefaultRequestHeaders.Add("X-Api-Key", NewKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asQuery.PostEventAsync(body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(body)).StatusCode);
    }

    [Fact]
    public async Task An_AP_callback_token_never_opens_a_query_API_that_takes_JWTs()
    {
        const string signingKey = "query-signing-key-0123456789-abcdefgh";
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["QueryApi:Auth:Type"] = "jwt",
            ["QueryApi:Auth:Jwt:SigningKey"] = signingKey,
            ["QueryApi:Auth:Jwt:Issuer"] = "https://issuer.example",
            ["QueryApi:Auth:Jwt:Audience"] = "receiver",
        });

        string Token(string key, string issuer = "https://issuer.example", string audience = "receiver", int minutes = 5) =>
            new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer,
                Audience = audience,
                Expires = DateTime.UtcNow.AddMinutes(minutes),
                NotBefore = DateTime.UtcNow.AddMinutes(minutes - 10),
                IssuedAt = DateTime.UtcNow.AddMinutes(minutes - 10),
                SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
            });

        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + Token(signingKey)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + ApToken.Mint(ReceiverApp.JwtSecret)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + Token(signingKey, issuer: "https://other.example")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + Token(signingKey, audience: "someone-else")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + Token(signingKey, minutes: -5)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + Token("another-signing-key-0123456789-abcdefgh")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions"));
        // And the query token does not open /event.
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(signingKey));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }

    [Fact]
    public async Task Tokens_of_an_OIDC_authority_open_the_query_API_for_its_audience_only()
    {
        await using var provider = await OidcProvider.StartAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["QueryApi:Auth:Type"] = "jwt",
            ["QueryApi:Auth:Jwt:Authority"] = provider.Authority,
            ["QueryApi:Auth:Jwt:Audience"] = "receiver",
            ["QueryApi:Auth:Jwt:RequireHttpsMetadata"] = "false",
        });

        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + provider.Token("receiver")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + provider.Token("another-api")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + provider.Token("receiver", issuer: "https://impostor.example")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + provider.Token("receiver", lifetime: TimeSpan.FromMinutes(-2))));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "Authorization", "Bearer " + ApToken.Mint(ReceiverApp.JwtSecret)));
    }

    [Fact]
    public async Task None_opens_the_query_API_only_when_chosen()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["QueryApi:Auth:Type"] = "none" });
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions"));
    }

    [Fact]
    public async Task A_custom_header_carries_the_query_key()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["QueryApi:Auth:ApiKey:HttpHeader"] = "X-Query-Key" });
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, "/transactions", "X-Query-Key", ReceiverApp.QueryKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, HttpMethod.Get, "/transactions", "X-Api-Key", ReceiverApp.QueryKey));
    }
}
