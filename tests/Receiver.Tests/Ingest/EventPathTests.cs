using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>
/// Where each AP line posts, from the same <c>callback_api.base_url</c>: AP 2.x keeps only scheme, host and port and
/// posts <c>/event</c> (CallbackApiClient, 2.10.2 and 2.12.0: <c>new HttpUrl.Builder()...addPathSegment("event")</c>);
/// AP 3.x and 4.x keep the path and add the segment <c>event</c>, filling the empty segment a trailing slash leaves
/// and keeping the query (CallbackApiClient, 3.1.4 and 4.3.0: <c>endpointUrl.newBuilder().addPathSegment("event")</c>).
/// </summary>
public sealed class EventPathTests
{
    public static TheoryData<string, string> BaseUrls() => new()
    {
        // base_url                                  what AP 3.x/4.x posts to
        { "http://receiver:8081", "/event" },
        { "http://receiver:8081/", "/event" },
        { "http://receiver:8081/callbacks", "/callbacks/event" },
        { "http://receiver:8081/callbacks/", "/callbacks/event" },
        { "https://anchor.example/callbacks?tenant=a", "/callbacks/event?tenant=a" },
        { "http://receiver:8081/anchor/ap/v3", "/anchor/ap/v3/event" },
        { "http://receiver:8081/ap%20events/", "/ap%20events/event" },
    };

    [Theory]
    [MemberData(nameof(BaseUrls))]
    public async Task Every_AP_line_reaches_the_same_endpoint_from_the_same_base_url(string baseUrl, string apThreePath)
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["CallbackApi:BaseUrl"] = baseUrl });
        await app.InitializeAsync();
        using var ap = app.CreateApClient();

        foreach (var path in new[] { apThreePath, "/event" })
        {
            var body = ApEvents.CustomerUpdated();
            var response = await PostAsync(ap, path, body.ToJsonString());
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)body["id"]!));
        }

        // The same endpoint, not a copy: authenticated and validated as /event is.
        var invalid = await PostAsync(ap, apThreePath, """{"type":"customer_updated","timestamp":"2025-01-01T00:00:00Z","payload":{"customer":{"id":"c"}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var unsigned = await PostAsync(app.CreateClient(), apThreePath, ApEvents.CustomerUpdated().ToJsonString());
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(ap, "/elsewhere/event", ApEvents.CustomerUpdated().ToJsonString())).StatusCode);
    }

    [Fact]
    public async Task Ingest_BasePath_replaces_the_path_of_the_base_url_for_a_proxy_that_rewrites_it()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["CallbackApi:BaseUrl"] = "https://gateway.example/anchor-callbacks",
            ["Ingest:BasePath"] = "/callbacks/",
        });
        await app.InitializeAsync();
        using var ap = app.CreateApClient();

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(ap, "/callbacks/event", ApEvents.CustomerUpdated().ToJsonString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(ap, "/event", ApEvents.CustomerUpdated().ToJsonString())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(ap, "/anchor-callbacks/event", ApEvents.CustomerUpdated().ToJsonString())).StatusCode);
    }

    internal static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        return client.PostAsync(path, content);
    }
}
