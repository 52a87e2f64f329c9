using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>One row per event id, whatever AP redelivers and however concurrently.</summary>
public sealed class ExactlyOnceTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task A_redelivery_with_a_new_timestamp_and_token_is_200_and_changes_nothing()
    {
        var first = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep6DepositExchange());
        var firstText = first.ToJsonString();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(firstText)).StatusCode);
        var receivedAt = await app.ScalarAsync<DateTime>("SELECT received_at FROM events WHERE id = $1", (string)first["id"]!);

        // AP's redelivery: same id and payload, timestamp of the new attempt, a freshly minted JWT.
        var again = first.DeepClone().AsObject();
        again["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow.AddMinutes(5), 9);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(again)).StatusCode);

        Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)first["id"]!));
        Assert.Equal(Encoding.UTF8.GetBytes(firstText), await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", (string)first["id"]!));
        Assert.Equal(receivedAt, await app.ScalarAsync<DateTime>("SELECT received_at FROM events WHERE id = $1", (string)first["id"]!));
        Assert.Equal(0, await app.CountAsync("rejected_events", "event_id = $1", (string)first["id"]!));
    }

    [Fact]
    public async Task A_redelivery_with_members_in_another_order_is_the_same_event()
    {
        var first = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(first)).StatusCode);

        var reordered = new JsonObject();
        foreach (var name in new[] { "payload", "timestamp", "type", "id" }) reordered[name] = first[name]!.DeepClone();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(reordered)).StatusCode);

        Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)first["id"]!));
        Assert.Equal(0, await app.CountAsync("rejected_events", "event_id = $1", (string)first["id"]!));
    }

    [Fact]
    public async Task Fifty_concurrent_posts_of_one_id_give_fifty_200s_and_one_row()
    {
        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        var id = (string)body["id"]!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async attempt =>
        {
            var copy = body.DeepClone().AsObject();
            copy["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow.AddMilliseconds(attempt));
            return await app.CreateApClient().PostEventAsync(copy);
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await app.CountAsync("events", "id = $1", id));
        Assert.Equal(0, await app.CountAsync("rejected_events", "event_id = $1", id));
    }

    [Fact]
    public async Task The_same_id_with_another_payload_is_200_keeps_the_first_and_the_second_as_conflicting_duplicate()
    {
        var first = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep24DepositCreated());
        var id = (string)first["id"]!;
        var firstText = first.ToJsonString();
        var second = first.DeepClone().AsObject().Set("payload/transaction/status", "\"pending_anchor\"");
        var secondText = second.ToJsonString();

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(firstText)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(secondText)).StatusCode);

        Assert.Equal(Encoding.UTF8.GetBytes(firstText), await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", id));
        Assert.Equal(Encoding.UTF8.GetBytes(secondText),
            await app.ScalarAsync<byte[]>("SELECT body FROM rejected_events WHERE event_id = $1 AND reason = 'conflicting_duplicate'", id));
        Assert.Equal(1, await app.CountAsync("rejected_events", "event_id = $1", id));
    }
}
