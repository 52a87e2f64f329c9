using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

/// <summary><c>api_key</c>: AP's secret verbatim in a header; <c>none</c>: no header at all.</summary>
public sealed class ApiKeyAndNoAuthTests
{
    private const string Key = "an-api-key-that-AP-sends-verbatim";

    private static ReceiverApp ApiKeyApp(string? header = null)
    {
        var settings = new Dictionary<string, string?> { ["CallbackApi:Auth:Type"] = "api_key", ["CallbackApi:Auth:Secret"] = Key };
        if (header is not null) settings["CallbackApi:Auth:ApiKey:HttpHeader"] = header;
        return ReceiverApp.With(settings);
    }

    [Fact]
    public async Task The_secret_in_X_Api_Key_is_accepted_and_anything_else_gets_401_storing_nothing()
    {
        await using var app = ApiKeyApp();
        await app.InitializeAsync();

        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Api-Key", Key)).StatusCode);

        foreach (var (header, value) in new[]
                 {
                     ("X-Api-Key", Key + "x"), ("X-Api-Key", Key[..^1]), ("X-Api-Key", Key.ToUpperInvariant()),
                     ("X-Api-Key", "Bearer " + Key), ("Authorization", Key), ("Authorization", "Bearer " + ApToken.Mint(ReceiverApp.JwtSecret)),
                 })
        {
            var body = ApEvents.CustomerUpdated();
            var response = await JwtAuthTests.PostWithHeaderAsync(app, header, value, body);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {value} gave {response.StatusCode}");
            await JwtAuthTests.AssertUnauthorizedBodyAsync(response);
            await JwtAuthTests.AssertNothingStoredAsync(app, body);
        }

        var missing = await app.CreateClient().PostEventAsync(ApEvents.CustomerUpdated());
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        await JwtAuthTests.AssertUnauthorizedBodyAsync(missing);
    }

    [Fact]
    public async Task With_a_custom_header_the_key_is_accepted_there_as_AP_2_sends_it_and_in_X_Api_Key_as_AP_3_and_4_send_it()
    {
        await using var app = ApiKeyApp("X-Anchor-Key");
        await app.InitializeAsync();

        // AP 2.10.2 AuthHelper.forApiKey(header, key) uses callback_api.auth.api_key.http_header; 3.1.4 and 4.3.0 ignore it.
        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Anchor-Key", Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await JwtAuthTests.PostWithHeaderAsync(app, "X-Api-Key", Key)).StatusCode);

        foreach (var header in new[] { "X-Anchor-Key", "X-Api-Key" })
        {
            var body = ApEvents.CustomerUpdated();
            var response = await JwtAuthTests.PostWithHeaderAsync(app, header, Key + "x", body);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await JwtAuthTests.AssertNothingStoredAsync(app, body);
        }

        var missing = await app.CreateClient().PostEventAsync(ApEvents.CustomerUpdated());
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("X-Api-Key or X-Anchor-Key", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task None_accepts_events_without_any_header()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:Auth:Type"] = "none", ["CallbackApi:Auth:Secret"] = "" });
        await app.InitializeAsync();

        var body = ApEvents.CustomerUpdated();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().PostEventAsync(body)).StatusCode);
        Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)body["id"]!));
    }
}
