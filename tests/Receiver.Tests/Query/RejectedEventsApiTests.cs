using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>Rejected events can be read back byte for byte, and replayed through ingest after a change.</summary>
public sealed class RejectedEventsApiTests
{
    private static async Task<JsonNode> ReplayAsync(ReceiverApp app, long id)
    {
        var response = await app.CreateQueryClient().PostAsync($"/rejected-events/{id}/replay", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task A_rejected_event_is_listed_read_back_and_after_a_configuration_change_replayed_into_a_stored_event()
    {
        // A newer AP sends a status AP 2.10 does not have: refused until the operator adds it.
        var body = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep24DepositCreated())
            .Set("payload/transaction/status", "\"pending_review\"");
        var text = body.ToJsonString();
        var transactionId = (string)body["payload"]!["transaction"]!["id"]!;
        await using var before = new ReceiverApp();
        Assert.Equal(HttpStatusCode.BadRequest, (await before.CreateApClient().PostEventAsync(text)).StatusCode);

        var listed = (await before.CreateQueryClient().GetJsonAsync($"/rejected-events?event_id={body["id"]}"))["data"]!.AsArray().Single()!;
        var id = (long)listed["id"]!;
        Assert.Equal("invalid", (string?)listed["reason"]);
        Assert.Equal((string)body["id"]!, (string?)listed["event_id"]);
        Assert.Equal("transaction_status_changed", (string?)listed["event_type"]);
        Assert.NotNull(listed["errors"]!["payload.transaction.status"]);
        var detail = await before.CreateQueryClient().GetJsonAsync($"/rejected-events/{id}");
        Assert.Equal(text, (string?)detail["body"]);
        Assert.Equal(Encoding.UTF8.GetBytes(text), Convert.FromBase64String((string)detail["body_base64"]!));

        // Replayed unchanged it is still invalid, and not kept a second time.
        var still = await ReplayAsync(before, id);
        Assert.Equal("invalid", (string?)still["outcome"]);
        Assert.NotNull(still["errors"]!["payload.transaction.status"]);
        Assert.Equal(1, await before.CountAsync("rejected_events"));
        Assert.Equal(1, await before.ScalarAsync<int>("SELECT attempts FROM rejected_events"));

        await using var after = ReceiverApp.Beside(before, new Dictionary<string, string?> { ["Ingest:AdditionalStatuses:0"] = "pending_review" });
        var replayed = await ReplayAsync(after, id);
        Assert.Equal("stored", (string?)replayed["outcome"]);
        Assert.Equal((string)body["id"]!, (string?)replayed["event_id"]);
        Assert.Empty(replayed["errors"]!.AsObject());
        Assert.Equal("pending_review", (string?)(await after.CreateQueryClient().GetJsonAsync($"/transactions/{transactionId}"))["status"]);
        Assert.Equal(Encoding.UTF8.GetBytes(text), await after.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", (string)body["id"]!));

        var recorded = await after.CreateQueryClient().GetJsonAsync($"/rejected-events/{id}");
        Assert.Equal("stored", (string?)recorded["replay_outcome"]);
        Assert.NotNull((string?)recorded["replayed_at"]);
        Assert.Equal("redelivered", (string?)(await ReplayAsync(after, id))["outcome"]);
    }

    [Fact]
    public async Task Rejected_events_are_listed_newest_first_by_reason_and_page()
    {
        await using var app = new ReceiverApp();
        var ap = app.CreateApClient();
        var stored = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(stored)).StatusCode);
        var conflicting = stored.DeepClone().AsObject().Set("payload/quote/price", "\"9.99\"");
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(conflicting)).StatusCode);
        var invalidIds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var invalid = ApEvents.CustomerUpdated().Set("payload/customer", "{\"id\":7}");
            invalidIds.Add((string)invalid["id"]!);
            Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync(invalid)).StatusCode);
        }
        var query = app.CreateQueryClient();

        var invalidListed = await query.WalkAsync("/rejected-events?reason=invalid&limit=2");
        Assert.Equal(Enumerable.Reverse(invalidIds), invalidListed.Select(r => (string)r["event_id"]!));
        Assert.All(invalidListed, r => Assert.Null(r["body"]));
        var conflict = (await query.GetJsonAsync("/rejected-events?reason=conflicting_duplicate"))["data"]!.AsArray().Single()!;
        Assert.Equal((string)stored["id"]!, (string?)conflict["event_id"]);

        await query.GetJsonAsync("/rejected-events?reason=broken", HttpStatusCode.BadRequest);
        await query.GetJsonAsync("/rejected-events/987654", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await query.PostAsync("/rejected-events/987654/replay", null)).StatusCode);
    }
}
