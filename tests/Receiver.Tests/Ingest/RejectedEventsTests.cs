using System.Net;
using System.Text;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>An invalid event is never lost: kept verbatim with its errors in both Ingest:OnInvalid modes.</summary>
public sealed class RejectedEventsTests
{
    [Fact]
    public async Task Reject_mode_answers_400_and_keeps_the_body_with_its_errors()
    {
        await using var app = new ReceiverApp();
        await app.InitializeAsync();
        var body = ApEvents.All["sep31-created"]().Set("payload/transaction/status", "\"lost\"");
        var id = (string)body["id"]!;
        var text = body.ToJsonString();

        var response = await app.CreateApClient().PostEventAsync(text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes(text), await app.ScalarAsync<byte[]>("SELECT body FROM rejected_events WHERE event_id = $1", id));
        Assert.Equal("invalid", await app.ScalarAsync<string>("SELECT reason FROM rejected_events WHERE event_id = $1", id));
        Assert.Equal("transaction_created", await app.ScalarAsync<string>("SELECT event_type FROM rejected_events WHERE event_id = $1", id));
        var errors = JsonDocument.Parse(await app.ScalarAsync<string>("SELECT errors::text FROM rejected_events WHERE event_id = $1", id) ?? "null");
        Assert.True(errors.RootElement.TryGetProperty("payload.transaction.status", out _));
        Assert.True(await app.ScalarAsync<DateTime>("SELECT first_received_at FROM rejected_events WHERE event_id = $1", id) > DateTime.UtcNow.AddMinutes(-1));
        Assert.Equal(0, await app.CountAsync("events", "id = $1", id));
    }

    [Fact]
    public async Task AP_retrying_a_rejected_event_counts_attempts_on_one_row()
    {
        await using var app = new ReceiverApp();
        await app.InitializeAsync();
        var body = ApEvents.All["quote-created"]().Set("payload/quote/sell_amount", "102");
        var id = (string)body["id"]!;

        for (var attempt = 0; attempt < 3; attempt++)
        {
            body["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow.AddSeconds(attempt * 2));
            Assert.Equal(HttpStatusCode.BadRequest, (await app.CreateApClient().PostEventAsync(body)).StatusCode);
        }

        Assert.Equal(1, await app.CountAsync("rejected_events", "event_id = $1", id));
        Assert.Equal(3, await app.ScalarAsync<int>("SELECT attempts FROM rejected_events WHERE event_id = $1", id));
        Assert.True(await app.ScalarAsync<bool>("SELECT last_received_at > first_received_at FROM rejected_events WHERE event_id = $1", id));
    }

    [Fact]
    public async Task Park_mode_answers_200_and_keeps_the_event_only_as_rejected()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Ingest:OnInvalid"] = "park" });
        await app.InitializeAsync();
        var invalid = ApEvents.All["sep24-deposit-created"]().Set("payload/transaction/kind", "\"receive\"");
        var id = (string)invalid["id"]!;
        var malformed = "{\"id\": \"broken"u8.ToArray();

        var response = await app.CreateApClient().PostEventAsync(invalid);
        var content = new ByteArrayContent(malformed);
        content.Headers.ContentType = new("application/json");
        var malformedResponse = await app.CreateApClient().PostAsync("/event", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.OK, malformedResponse.StatusCode);
        Assert.Equal(1, await app.CountAsync("rejected_events", "event_id = $1 AND reason = 'invalid'", id));
        Assert.Equal(1, await app.CountAsync("rejected_events", "body = $1", malformed));
        Assert.Equal(0, await app.CountAsync("events"));

        // Valid events are unaffected by park mode.
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.Equal(1, await app.CountAsync("events"));
    }
}
