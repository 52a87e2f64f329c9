using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Receiver.Tests.Auth;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Logging;

/// <summary>
/// Everything Receiver logs, at every level and from every library (ASP.NET Core, JwtBearer, EF Core), through
/// a whole scenario: no secret, token or key ever appears, right or wrong; event bodies appear below Information only.
/// </summary>
public sealed class NoSecretsInLogsTests
{
    private const string Previous = "previous-secret-0123456789-abcdefghijklmnop";
    private const string WrongSecret = "wrong-secret-0123456789-abcdefghijklmnopqr";
    private const string ApiKey = "api-key-secret-0123456789-abcdefghijklmn";
    private const string PreviousApiKey = "previous-api-key-0123456789-abcdefghijkl";
    private const string WrongApiKey = "wrong-api-key-0123456789-abcdefghijklmno";
    private const string WrongQueryKey = "wrong-query-key-0123456789";
    private const string QuerySigningKey = "query-signing-key-0123456789-abcdefghij";

    /// <summary>Every line at every level, from every category.</summary>
    private static readonly Dictionary<string, string?> TraceEverything = new()
    {
        ["Logging:LogLevel:Default"] = "Trace",
        // appsettings.json quietens these; more specific than Default, so they need saying too.
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace",
    };

    private static readonly string[] Secrets =
        [ReceiverApp.JwtSecret, Previous, WrongSecret, ApiKey, PreviousApiKey, WrongApiKey, ReceiverApp.QueryKey, WrongQueryKey, QuerySigningKey];

    /// <summary>
    /// What must never be logged: every secret and key, right or wrong, every token presented and its signature, and
    /// each secret's JWK thumbprint, by which IdentityModel names a key: an unsalted SHA-256 of the secret, which
    /// would let a weak secret be guessed offline.
    /// </summary>
    private readonly LogCapture _logs = new();

    private readonly List<string> _secrets = [.. Secrets, .. Secrets.Select(secret =>
        Base64UrlEncoder.Encode(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)).ComputeJwkThumbprint()))];

    /// <summary>Distinctive text inside posted payloads, valid and invalid.</summary>
    private readonly string _payloadMarker = "payload-marker-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task No_secret_token_or_key_is_logged_at_any_level_and_bodies_only_below_Information()
    {
        await using (var jwtOwner = ReceiverApp.With(new Dictionary<string, string?>(TraceEverything)
                     {
                         ["CallbackApi:Auth:PreviousSecrets:0"] = Previous,
                         ["CallbackApi:Auth:PreviousSecretsUntil"] = InAnHour(),
                     }))
        {
            var app = Capturing(jwtOwner);
            await JwtScenarioAsync(app);
            await QueryScenarioAsync(app);
        }

        await using (var apiKeyOwner = ReceiverApp.With(new Dictionary<string, string?>(TraceEverything)
                     {
                         ["CallbackApi:Auth:Type"] = "api_key",
                         ["CallbackApi:Auth:Secret"] = ApiKey,
                         ["CallbackApi:Auth:PreviousSecrets:0"] = PreviousApiKey,
                         ["CallbackApi:Auth:PreviousSecretsUntil"] = InAnHour(),
                         ["QueryApi:Auth:Type"] = "jwt",
                         ["QueryApi:Auth:Jwt:SigningKey"] = QuerySigningKey,
                         ["QueryApi:Auth:Jwt:Issuer"] = "https://issuer.example",
                         ["QueryApi:Auth:Jwt:Audience"] = "receiver",
                     }))
        {
            var app = Capturing(apiKeyOwner);
            await ApiKeyScenarioAsync(app);
        }

        var lines = _logs.Lines.ToList();
        // The capture works: the requests were logged at Trace and Debug, by ASP.NET Core and by Receiver.
        Assert.Contains(lines, line => line.Level == LogLevel.Trace);
        Assert.Contains(lines, line => line.Level == LogLevel.Debug && line.Category.StartsWith("Microsoft.AspNetCore.Authentication", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Category.StartsWith("Receiver.", StringComparison.Ordinal));

        var leaks = lines.SelectMany(line => _secrets.Where(line.Text.Contains).Select(secret => $"'{secret}' in {line.Level} {line.Category}: {line.Text}")).ToList();
        Assert.True(leaks.Count == 0, "Secrets in the log:\n" + string.Join("\n", leaks.Take(20)));

        var bodies = lines.Where(line => line.Level >= LogLevel.Information && line.Text.Contains(_payloadMarker, StringComparison.Ordinal)).ToList();
        Assert.True(bodies.Count == 0, "An event body at Information or above:\n" + string.Join("\n", bodies.Take(20).Select(line => $"{line.Level} {line.Category}: {line.Text}")));
    }

    private async Task JwtScenarioAsync(WebApplicationFactory<Program> app)
    {
        var now = DateTimeOffset.UtcNow;
        var stored = MarkedEvent();
        await PostAsync(app, HttpStatusCode.OK, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret), stored);
        await PostAsync(app, HttpStatusCode.OK, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret), stored); // redelivery
        var conflicting = stored.DeepClone().AsObject();
        conflicting["payload"]!["transaction"]!["message"] = _payloadMarker + " changed";
        await PostAsync(app, HttpStatusCode.OK, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret), conflicting);
        await PostAsync(app, HttpStatusCode.OK, "Authorization", "Bearer " + Token(Previous), MarkedEvent());

        var invalid = MarkedEvent();
        invalid["payload"]!["transaction"]!["status"] = "not-a-status-" + _payloadMarker;
        await PostAsync(app, HttpStatusCode.BadRequest, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret), invalid);

        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + Token(WrongSecret));
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret, now.AddMinutes(-10)));
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + Token(ReceiverApp.JwtSecret, now.AddMinutes(10)));
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization",
            "Bearer " + Remember(ApToken.Build(ApToken.Header("HS512"), ApToken.Claims(now, TimeSpan.FromSeconds(30)), ReceiverApp.JwtSecret)));
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + ReceiverApp.JwtSecret);
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", $"Bearer {WrongSecret}.{WrongSecret}.{WrongSecret}");
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", ReceiverApp.JwtSecret);
        await PostAsync(app, HttpStatusCode.Unauthorized, "X-Api-Key", ReceiverApp.JwtSecret);
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + Remember(Token(Previous)[..^2] + "xx")); // tampered signature
    }

    private async Task QueryScenarioAsync(WebApplicationFactory<Program> app)
    {
        using var query = Client(app, "X-Api-Key", ReceiverApp.QueryKey);
        var page = await query.GetJsonAsync("/events?last_sequence_number=0&wait=0");
        Assert.NotEmpty(page["data"]!.AsArray());
        var transactionId = (string)page["data"]![0]!["payload"]!["transaction"]!["id"]!;
        await query.GetJsonAsync($"/transactions/{transactionId}");
        await query.GetJsonAsync($"/transactions/{transactionId}/events");
        await query.GetJsonAsync("/transactions?sep=31");
        await query.GetJsonAsync("/rejected-events");
        await query.GetJsonAsync($"/event/{(string)page["data"]![0]!["id"]!}");

        foreach (var wrong in new[] { WrongQueryKey, ReceiverApp.JwtSecret, Previous })
        {
            using var refused = Client(app, "X-Api-Key", wrong);
            await refused.GetJsonAsync("/transactions", HttpStatusCode.Unauthorized);
            await refused.GetJsonAsync("/events?wait=0", HttpStatusCode.Unauthorized);
        }
        using var bearer = Client(app, "Authorization", "Bearer " + ReceiverApp.QueryKey);
        await bearer.GetJsonAsync("/transactions", HttpStatusCode.Unauthorized);
    }

    private async Task ApiKeyScenarioAsync(WebApplicationFactory<Program> app)
    {
        await PostAsync(app, HttpStatusCode.OK, "X-Api-Key", ApiKey, MarkedEvent());
        await PostAsync(app, HttpStatusCode.OK, "X-Api-Key", PreviousApiKey, MarkedEvent());
        await PostAsync(app, HttpStatusCode.Unauthorized, "X-Api-Key", WrongApiKey);
        await PostAsync(app, HttpStatusCode.Unauthorized, "X-Api-Key", ApiKey + "x");
        await PostAsync(app, HttpStatusCode.Unauthorized, "X-Api-Key", "Bearer " + ApiKey);
        await PostAsync(app, HttpStatusCode.Unauthorized, "Authorization", "Bearer " + ApiKey);
        await PostAsync(app, HttpStatusCode.Unauthorized, "X-Api-Key", ReceiverApp.QueryKey);

        // Here the query API takes JWTs signed with a key of its own.
        using var query = Client(app, "Authorization", "Bearer " + QueryToken(QuerySigningKey));
        await query.GetJsonAsync("/events?last_sequence_number=0&wait=0");
        foreach (var wrong in new[] { "Bearer " + QueryToken(WrongSecret), "Bearer " + QueryToken(ApiKey), "Bearer " + ApiKey, ApiKey })
        {
            using var refused = Client(app, "Authorization", wrong);
            await refused.GetJsonAsync("/transactions", HttpStatusCode.Unauthorized);
        }
    }

    private string QueryToken(string key) => Remember(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://issuer.example",
        Audience = "receiver",
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
    }));

    private static string InAnHour() => DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ssK");

    /// <summary>The app of <paramref name="owner"/>, logging into <see cref="_logs"/> only; disposed with its owner.</summary>
    private WebApplicationFactory<Program> Capturing(ReceiverApp owner) =>
        owner.WithWebHostBuilder(host => host.ConfigureLogging(logging => logging.ClearProviders().AddProvider(_logs)));

    /// <summary>A SEP-31 transaction event whose message and customer id carry the marker.</summary>
    private JsonObject MarkedEvent()
    {
        var transaction = ApEvents.Sep31Created();
        transaction["message"] = _payloadMarker;
        transaction["external_transaction_id"] = "ext-" + _payloadMarker;
        return ApEvents.TransactionEvent("transaction_created", transaction);
    }

    /// <summary>A token minted as AP does, remembered as a secret with its signature.</summary>
    private string Token(string secret, DateTimeOffset? issuedAt = null) => Remember(ApToken.Mint(secret, issuedAt));

    private string Remember(string token)
    {
        _secrets.Add(token);
        _secrets.Add(token[(token.LastIndexOf('.') + 1)..]);
        return token;
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, string header, string value)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        return client;
    }

    private async Task PostAsync(WebApplicationFactory<Program> app, HttpStatusCode expected, string header, string value, JsonObject? body = null)
    {
        var response = await JwtAuthTests.PostWithHeaderAsync(app, header, value, body ?? MarkedEvent());
        Assert.True(response.StatusCode == expected, $"{header}: {value} gave {response.StatusCode}, expected {expected}");
    }
}
