using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>
/// Where and how each AP line posts for each form of <c>callback_api.base_url</c> and each auth setting, against a
/// Receiver configured from the same values: the event arrives and is stored.
/// </summary>
public sealed class DeliveryTests
{
    private static readonly string[] BaseUrls =
    [
        "http://receiver:8081",
        "http://receiver:8081/",
        "http://receiver:8081/callbacks",
        "http://receiver:8081/callbacks/",
        "https://gateway.example/anchor/v1/cb?tenant=eu",
    ];

    public static TheoryData<string, string, string, string?> Settings()
    {
        var data = new TheoryData<string, string, string, string?>();
        foreach (var line in ApLine.All)
        {
            foreach (var baseUrl in BaseUrls) data.Add(line.Name, baseUrl, "jwt", null);
            // A custom header: 2.x uses it, 3.x+ send X-Api-Key whatever it says.
            data.Add(line.Name, "http://receiver:8081/callbacks", "api_key", "X-Anchor-Key");
            data.Add(line.Name, "http://receiver:8081/callbacks", "api_key", null);
            data.Add(line.Name, "http://receiver:8081/callbacks", "jwt", "X-Platform-Token");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task Each_line_reaches_Receiver_configured_from_the_same_settings(string lineName, string baseUrl, string authType, string? header)
    {
        var line = ApLine.All.Single(l => l.Name == lineName);
        var delivery = authType == "jwt"
            ? new ApDelivery(line, authType, baseUrl, JwtHeader: header)
            : new ApDelivery(line, authType, baseUrl, ApiKeyHeader: header);
        await using var app = ReceiverApp.With(delivery.ReceiverSettings);
        var flow = ApCorpus.For(line).First(f => f.Subject == "transaction");
        var created = flow.Events[0];

        var response = await app.CreateClient().SendAsync(delivery.Request(created.Body));

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{delivery} POST {line.EventPath(baseUrl)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(1, await app.CountAsync("events", "id = $1", created.Id));
    }

    [Theory]
    [InlineData("2.x", "http://h:8081/callbacks", "/event")]
    [InlineData("2.x", "http://h:8081/a/b?x=1", "/event")]
    [InlineData("3.x", "http://h:8081", "/event")]
    [InlineData("3.x", "http://h:8081/", "/event")]
    [InlineData("3.x", "http://h:8081/callbacks", "/callbacks/event")]
    [InlineData("4.x", "http://h:8081/callbacks/", "/callbacks/event")]
    [InlineData("4.x", "http://h:8081/a/b?x=1", "/a/b/event?x=1")]
    public void The_path_is_the_one_OkHttp_builds(string lineName, string baseUrl, string path) =>
        Assert.Equal(path, ApLine.All.Single(l => l.Name == lineName).EventPath(baseUrl));
}
