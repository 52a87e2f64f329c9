using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

/// <summary>JWT auth exactly as AP builds it (HS256 over the secret's UTF-8 bytes, iat and exp only), and every way to fail it.</summary>
public sealed class JwtAuthTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private const string Secret = ReceiverApp.JwtSecret;

    [Fact]
    public async Task AP_token_in_Authorization_is_accepted()
    {
        var response = await PostWithHeaderAsync("Authorization", "Bearer " + ApToken.Mint(Secret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_token_scripts_token_prints_is_accepted()
    {
        var script = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(Repository.Root, "scripts", "token"), Secret])
        {
            RedirectStandardOutput = true,
        };
        using var process = System.Diagnostics.Process.Start(script)!;
        var token = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();

        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync("Authorization", "Bearer " + token)).StatusCode);
    }

    [Fact]
    public async Task Token_expired_within_the_clock_skew_is_accepted()
    {
        // AP mints per attempt with a 30 s life; a slow clock on either side must not stall delivery.
        var token = ApToken.Mint(Secret, DateTimeOffset.UtcNow.AddSeconds(-40), TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync("Authorization", "Bearer " + token)).StatusCode);
    }

    /// <summary>The cases by name; each test mints its tokens when it runs, so none has aged by the time it is sent.</summary>
    public static TheoryData<string> RejectedTokenCases() => [.. RejectedTokens().Keys];

    private static Dictionary<string, string> RejectedTokens()
    {
        var now = DateTimeOffset.UtcNow;
        var valid = ApToken.Claims(now, TimeSpan.FromSeconds(30));
        using var rsa = RSA.Create(2048);
        var withKid = ApToken.Header();
        withKid["kid"] = "other-key";
        var withJku = ApToken.Header();
        withJku["jku"] = "https://attacker.example/keys.json";
        // An embedded public key: validators that trust it let anyone sign (CVE-2018-0114).
        var withJwk = ApToken.Header("RS256");
        var parameters = rsa.ExportParameters(false);
        withJwk["jwk"] = new JsonObject
        {
            ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(parameters.Modulus), ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        var noExp = new JsonObject { ["iat"] = now.ToUnixTimeSeconds() };
        var noIat = new JsonObject { ["exp"] = now.AddSeconds(30).ToUnixTimeSeconds() };
        // RFC 7515 §4.1.11: an extension the recipient does not understand, marked critical.
        var withCrit = ApToken.Header();
        withCrit["crit"] = new JsonArray("exp-extension");
        withCrit["exp-extension"] = true;
        return new Dictionary<string, string>
        {
            { "missing Bearer prefix", ApToken.Mint(Secret) },
            { "expired beyond the skew", "Bearer " + ApToken.Mint(Secret, now.AddSeconds(-120), TimeSpan.FromSeconds(30)) },
            { "wrong secret", "Bearer " + ApToken.Mint("another-secret-0123456789-abcdefghijklmnop") },
            { "alg none", "Bearer " + ApToken.Build(ApToken.Header("none"), valid, Secret) },
            { "HS384 with the secret", "Bearer " + ApToken.Build(ApToken.Header("HS384"), valid, Secret) },
            { "HS512 with the secret", "Bearer " + ApToken.Build(ApToken.Header("HS512"), valid, Secret) },
            { "RS256", "Bearer " + ApToken.SignRs256(valid, rsa) },
            { "kid header", "Bearer " + ApToken.Build(withKid, valid, Secret) },
            { "jku header", "Bearer " + ApToken.Build(withJku, valid, Secret) },
            { "RS256 with its key embedded (jwk)", "Bearer " + ApToken.SignRs256(valid, rsa, withJwk) },
            { "exp missing", "Bearer " + ApToken.Build(ApToken.Header(), noExp, Secret) },
            { "iat missing", "Bearer " + ApToken.Build(ApToken.Header(), noIat, Secret) },
            { "iat in the future beyond the skew", "Bearer " + ApToken.Mint(Secret, now.AddMinutes(5), TimeSpan.FromSeconds(30)) },
            // AP's tokens live CallbackApi:Auth:Jwt:ExpirationMilliseconds (30 s): a longer one can be replayed for as long.
            { "exp ten years ahead", "Bearer " + ApToken.Mint(Secret, now, TimeSpan.FromDays(3650)) },
            { "iat ten years old, exp ahead", "Bearer " + ApToken.Mint(Secret, now.AddYears(-10), now.AddSeconds(30) - now.AddYears(-10)) },
            { "a life of 32 s, beyond 30 s and a second of rounding", "Bearer " + ApToken.Mint(Secret, now, TimeSpan.FromSeconds(32)) },
            { "unknown crit header", "Bearer " + ApToken.Build(withCrit, valid, Secret) },
            { "the raw secret as a bearer token", "Bearer " + Secret },
            { "garbage", "Bearer not.a.jwt" },
            { "empty", "" },
        };
    }

    [Theory]
    [MemberData(nameof(RejectedTokenCases))]
    public async Task Bad_tokens_get_401_with_a_JSON_error_and_store_nothing(string why)
    {
        var authorization = RejectedTokens()[why];
        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep24DepositCreated());

        var response = await PostWithHeaderAsync("Authorization", authorization, body);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
        await AssertUnauthorizedBodyAsync(response);
        await AssertNothingStoredAsync(app, body);
    }

    [Fact]
    public async Task Missing_header_gets_401()
    {
        var body = ApEvents.CustomerUpdated();
        var response = await app.CreateClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertUnauthorizedBodyAsync(response);
        await AssertNothingStoredAsync(app, body);
    }

    [Fact]
    public async Task The_raw_secret_sent_as_an_API_key_gets_401()
    {
        var body = ApEvents.CustomerUpdated();
        var response = await PostWithHeaderAsync("X-Api-Key", Secret, body);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingStoredAsync(app, body);
    }

    [Fact]
    public async Task Custom_header_carries_the_bearer_token_and_Authorization_is_then_ignored()
    {
        await using var custom = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:Auth:Jwt:HttpHeader"] = "X-Callback-Token" });
        await custom.InitializeAsync();
        var token = ApToken.Mint(Secret);

        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync(custom, "X-Callback-Token", "Bearer " + token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostWithHeaderAsync(custom, "Authorization", "Bearer " + token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostWithHeaderAsync(custom, "X-Callback-Token", token)).StatusCode);
    }

    [Fact]
    public async Task A_token_living_AP_s_configured_life_and_a_second_of_rounding_is_accepted()
    {
        // AP's own tokens live at most the setting; one second of slack spares a minter that rounds exp up.
        var token = ApToken.Mint(Secret, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync("Authorization", "Bearer " + token)).StatusCode);
    }

    [Fact]
    public async Task Any_life_AP_accepts_is_accepted_too_even_beyond_a_day()
    {
        // AP sets no upper bound on callback_api.auth.jwt.expiration_milliseconds; one env file configures both.
        await using var twoDays = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:Auth:Jwt:ExpirationMilliseconds"] = "172800000" });
        await twoDays.InitializeAsync();
        var token = ApToken.Mint(Secret, DateTimeOffset.UtcNow, TimeSpan.FromDays(2));

        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync(twoDays, "Authorization", "Bearer " + token)).StatusCode);
    }

    [Fact]
    public async Task Clock_skew_is_configurable()
    {
        await using var strict = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:Auth:Jwt:ClockSkewSeconds"] = "0" });
        await strict.InitializeAsync();
        var expiredFiveSecondsAgo = ApToken.Mint(Secret, DateTimeOffset.UtcNow.AddSeconds(-35), TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostWithHeaderAsync(strict, "Authorization", "Bearer " + expiredFiveSecondsAgo)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync(app, "Authorization", "Bearer " + expiredFiveSecondsAgo)).StatusCode);
    }

    // AP mints the same token for every attempt within one second, so the receiver keeps the token it accepted last
    // and lets a request bearing it through unchecked (RecentToken). What the check would refuse, it still refuses.

    [Fact]
    public async Task A_token_accepted_moments_ago_is_refused_once_it_expires_even_on_an_app_clock_that_lags()
    {
        await using var owner = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:Auth:Jwt:ClockSkewSeconds"] = "0" });
        // The app's clock (TimeProvider) 20 s behind: a token's life is read on the system clock, as IdentityModel
        // reads it, so the token kept as accepted last expires when the check would refuse it.
        var strict = owner.WithWebHostBuilder(host => host.ConfigureTestServices(
            services => services.AddSingleton<TimeProvider>(new SettableClock { Offset = TimeSpan.FromSeconds(-20) })));
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 27);
        var token = ApToken.Mint(Secret, issuedAt, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync(strict, "Authorization", "Bearer " + token)).StatusCode);

        await Task.Delay(issuedAt.AddSeconds(31) - DateTimeOffset.UtcNow);

        var response = await PostWithHeaderAsync(strict, "Authorization", "Bearer " + token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertUnauthorizedBodyAsync(response);
    }

    [Fact]
    public async Task A_token_one_character_away_from_the_one_accepted_last_is_refused()
    {
        var token = ApToken.Mint(Secret);
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync("Authorization", "Bearer " + token)).StatusCode);
        var signature = token.LastIndexOf('.') + 1;
        var forged = token[..signature] + (token[signature] == 'A' ? 'B' : 'A') + token[(signature + 1)..];

        var response = await PostWithHeaderAsync("Authorization", "Bearer " + forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostWithHeaderAsync("Authorization", "Bearer " + token)).StatusCode);
    }

    private Task<HttpResponseMessage> PostWithHeaderAsync(string header, string value, JsonObject? body = null) =>
        PostWithHeaderAsync(app, header, value, body);

    internal static Task<HttpResponseMessage> PostWithHeaderAsync(WebApplicationFactory<Program> target, string header, string value, JsonObject? body = null)
    {
        var client = target.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        return client.PostEventAsync(body ?? ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created()));
    }

    internal static async Task AssertUnauthorizedBodyAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("error").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    internal static async Task AssertNothingStoredAsync(ReceiverApp target, JsonObject body)
    {
        var id = (string)body["id"]!;
        Assert.Equal(0, await target.CountAsync("events", "id = $1", id));
        Assert.Equal(0, await target.CountAsync("rejected_events", "event_id = $1", id));
    }
}
