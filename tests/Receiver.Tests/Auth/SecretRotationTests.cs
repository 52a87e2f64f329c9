using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

/// <summary>
/// <c>CallbackApi:Auth:PreviousSecrets</c>: while AP's secret is rotated, the previous one still opens <c>/event</c>,
/// by the same rules as the current one, until <c>CallbackApi:Auth:PreviousSecretsUntil</c> and not a moment later.
/// </summary>
public sealed class SecretRotationTests
{
    private const string Current = ReceiverApp.JwtSecret;
    private const string Previous = "previous-secret-0123456789-abcdefghijklmnop";
    private const string Unrelated = "unrelated-secret-0123456789-abcdefghijklmnop";

    /// <summary>The deadline is an hour away on the real clock; moving the app's clock two hours on crosses it.</summary>
    private static readonly TimeSpan PastTheDeadline = TimeSpan.FromHours(2);

    [Fact]
    public async Task Jwt_signed_with_the_previous_secret_is_accepted_until_the_deadline_and_refused_after_it()
    {
        var clock = new SettableClock();
        await using var owner = RotatingApp("jwt", Current);
        var app = WithClock(owner, clock);

        Assert.Equal(HttpStatusCode.OK, await PostJwtAsync(app, ApToken.Mint(Previous)));
        Assert.Equal(HttpStatusCode.OK, await PostJwtAsync(app, ApToken.Mint(Current)));
        await AssertRefusedAsync(owner, app, "Authorization", "Bearer " + ApToken.Mint(Unrelated));
        // The previous secret follows the same rules as the current one.
        var now = DateTimeOffset.UtcNow;
        await AssertRefusedAsync(owner, app, "Authorization", "Bearer " + ApToken.Mint(Previous, now.AddSeconds(-120), TimeSpan.FromSeconds(30)));
        await AssertRefusedAsync(owner, app, "Authorization",
            "Bearer " + ApToken.Build(ApToken.Header("HS512"), ApToken.Claims(now, TimeSpan.FromSeconds(30)), Previous));

        clock.Offset = PastTheDeadline;

        await AssertRefusedAsync(owner, app, "Authorization", "Bearer " + ApToken.Mint(Previous));
        await AssertRefusedAsync(owner, app, "Authorization", "Bearer " + ApToken.Mint(Unrelated));
        // Only the previous secret ended: the current one still works (and the token's own lifetime is unaffected).
        Assert.Equal(HttpStatusCode.OK, await PostJwtAsync(app, ApToken.Mint(Current)));
    }

    [Fact]
    public async Task The_very_token_accepted_with_the_previous_secret_before_the_deadline_is_refused_after_it()
    {
        var clock = new SettableClock();
        await using var owner = RotatingApp("jwt", Current);
        var app = WithClock(owner, clock);
        var token = ApToken.Mint(Previous);
        Assert.Equal(HttpStatusCode.OK, await PostJwtAsync(app, token));

        clock.Offset = PastTheDeadline;

        await AssertRefusedAsync(owner, app, "Authorization", "Bearer " + token);
    }

    [Fact]
    public async Task Api_key_equal_to_the_previous_secret_is_accepted_until_the_deadline_and_refused_after_it()
    {
        const string currentKey = "current-api-key-that-AP-sends-verbatim";
        var clock = new SettableClock();
        await using var owner = RotatingApp("api_key", currentKey);
        var app = WithClock(owner, clock);

        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Api-Key", Previous)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Api-Key", currentKey)).StatusCode);
        await AssertRefusedAsync(owner, app, "X-Api-Key", Unrelated);
        await AssertRefusedAsync(owner, app, "X-Api-Key", Previous + "x");

        clock.Offset = PastTheDeadline;

        await AssertRefusedAsync(owner, app, "X-Api-Key", Previous);
        await AssertRefusedAsync(owner, app, "X-Api-Key", Unrelated);
        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Api-Key", currentKey)).StatusCode);
    }

    // Options are checked before the database is touched, so a refusal needs no server.
    private const string UnusedDatabase = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none";
    private const string QueryKey = "rotation-query-key-0123456789";

    [Theory]
    [InlineData("jwt", "0123456789abcdef0123456789abcde", "2030-01-01T00:00:00Z", "CallbackApi:Auth:PreviousSecrets:0 is too weak for jwt: it must be at least 32 bytes")]
    [InlineData("api_key", "", "2030-01-01T00:00:00Z", "CallbackApi:Auth:PreviousSecrets:0 is empty")]
    [InlineData("jwt", Previous, "", "CallbackApi:Auth:PreviousSecretsUntil is not set")]
    [InlineData("api_key", Previous, "2030-01-01 00:00", "CallbackApi:Auth:PreviousSecretsUntil is '2030-01-01 00:00': it must be an RFC 3339 instant")]
    [InlineData("jwt", QueryKey + "-and-32-bytes-long", "2030-01-01T00:00:00Z", "QueryApi:Auth:ApiKey:Keys:0 is AP's callback secret")]
    public async Task A_bad_previous_secret_setting_stops_the_app(string type, string previous, string until, string message)
    {
        await using var app = ReceiverProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = type,
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Current,
            ["CallbackApi__Auth__PreviousSecrets__0"] = previous,
            ["CallbackApi__Auth__PreviousSecretsUntil"] = until,
            ["QueryApi__Auth__ApiKey__Keys__0"] = QueryKey + "-and-32-bytes-long",
        });

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains("Configuration error: " + message, app.Output);
        Assert.DoesNotContain("   at ", app.Output);
    }

    private static ReceiverApp RotatingApp(string type, string secret) => ReceiverApp.With(new Dictionary<string, string?>
    {
        ["CallbackApi:Auth:Type"] = type,
        ["CallbackApi:Auth:Secret"] = secret,
        ["CallbackApi:Auth:PreviousSecrets:0"] = Previous,
        ["CallbackApi:Auth:PreviousSecretsUntil"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ssK"),
    });

    /// <summary>The app with <paramref name="clock"/> as its <see cref="TimeProvider"/>; disposed with its owner.</summary>
    private static WebApplicationFactory<Program> WithClock(ReceiverApp owner, SettableClock clock) =>
        owner.WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));

    private static async Task<HttpStatusCode> PostJwtAsync(WebApplicationFactory<Program> app, string token) =>
        (await JwtAuthTests.PostWithHeaderAsync(app, "Authorization", "Bearer " + token)).StatusCode;

    private static async Task AssertRefusedAsync(ReceiverApp owner, WebApplicationFactory<Program> app, string header, string value)
    {
        var body = ApEvents.CustomerUpdated();
        var response = await JwtAuthTests.PostWithHeaderAsync(app, header, value, body);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {value} gave {response.StatusCode}");
        await JwtAuthTests.AssertUnauthorizedBodyAsync(response);
        await JwtAuthTests.AssertNothingStoredAsync(owner, body);
    }
}
