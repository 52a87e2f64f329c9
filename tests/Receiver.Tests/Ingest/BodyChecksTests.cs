using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>415 for anything but JSON, 413 past Ingest:MaxBodyBytes, 400 for a body that is not a JSON object.</summary>
public sealed class BodyChecksTests(BodyChecksTests.SmallBodyApp app) : IClassFixture<BodyChecksTests.SmallBodyApp>
{
    public sealed class SmallBodyApp() : ReceiverApp(new Dictionary<string, string?> { ["Ingest:MaxBodyBytes"] = "4096" });

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json;charset=UTF-8")]
    [InlineData("Application/JSON; charset=iso-8859-1")]
    public async Task Any_application_json_content_type_is_accepted(string contentType)
    {
        var response = await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated().ToJsonString(), contentType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/problem+json")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Other_content_types_get_415_and_store_nothing(string contentType)
    {
        var body = ApEvents.CustomerUpdated();
        var response = await app.CreateApClient().PostEventAsync(body.ToJsonString(), contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("application/json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        await AssertNothingStoredAsync(body.ToJsonString());
    }

    [Fact]
    public async Task Unauthenticated_requests_get_401_before_any_body_check()
    {
        var response = await app.CreateClient().PostEventAsync(ApEvents.CustomerUpdated().ToJsonString(), "text/plain");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_body_without_content_type_gets_415()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ApEvents.CustomerUpdated().ToJsonString()));
        var response = await app.CreateApClient().PostAsync("/event", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_with_or_without_content_length_and_stores_nothing()
    {
        var body = ApEvents.CustomerUpdated();
        body["padding"] = new string('x', 5000);
        var text = body.ToJsonString();

        var declared = await app.CreateApClient().PostEventAsync(text);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);

        var chunked = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(text)));
        chunked.Headers.ContentType = new("application/json");
        var streamed = await app.CreateApClient().PostAsync("/event", chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);

        await AssertNothingStoredAsync(text);
    }

    [Fact]
    public async Task A_body_at_the_limit_is_read_whole()
    {
        var body = ApEvents.CustomerUpdated();
        body["padding"] = "";
        var room = 4096 - Encoding.UTF8.GetByteCount(body.ToJsonString());
        body["padding"] = new string('x', room);
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(body.ToJsonString()));

        var response = await app.CreateApClient().PostEventAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string, byte[]> NotAnObject => new()
    {
        { "malformed JSON", Encoding.UTF8.GetBytes("{\"id\": \"e1\", \"type\": ") },
        { "trailing garbage", Encoding.UTF8.GetBytes("{\"id\": \"e1\"} x") },
        { "empty body", [] },
        { "an array", Encoding.UTF8.GetBytes("[{\"id\":\"e1\"}]") },
        { "a string", Encoding.UTF8.GetBytes("\"event\"") },
        { "a number", Encoding.UTF8.GetBytes("42") },
        { "null", Encoding.UTF8.GetBytes("null") },
        { "invalid UTF-8", [.. "{\"id\":\""u8, 0xC3, 0x28, .. "\"}"u8] },
        { "duplicate keys", Encoding.UTF8.GetBytes("{\"id\":\"e1\",\"id\":\"e2\"}") },
    };

    [Theory]
    [MemberData(nameof(NotAnObject))]
    public async Task A_body_that_is_not_a_JSON_object_gets_400_and_is_kept_verbatim(string why, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await app.CreateApClient().PostAsync("/event", content);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("$", out _), why);
        Assert.Equal(1, await app.CountAsync("rejected_events", "body = $1", body));
        Assert.Equal(0, await app.CountAsync("events", "body = $1", body));
    }

    [Fact]
    public async Task Event_never_redirects()
    {
        var response = await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated());
        Assert.False((int)response.StatusCode is >= 300 and < 400);
        Assert.Null(response.Headers.Location);
    }

    private async Task AssertNothingStoredAsync(string body)
    {
        Assert.Equal(0, await app.CountAsync("events", "body = $1", Encoding.UTF8.GetBytes(body)));
        Assert.Equal(0, await app.CountAsync("rejected_events", "body = $1", Encoding.UTF8.GetBytes(body)));
    }

    /// <summary>Makes HttpClient send the body chunked, without Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
