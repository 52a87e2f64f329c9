using System.Net;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>
/// The state served is the truth whatever order AP delivers in: the newest snapshot by <c>updated_at</c> (else
/// <c>started_at</c>), ties to the later-received event, redeliveries change nothing.
/// </summary>
public sealed class TransactionStateTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static readonly string[] Sep24Deposit =
        ["incomplete", "pending_user_transfer_start", "pending_anchor", "pending_stellar", "completed"];

    /// <summary>A SEP-24 deposit's five events, a minute apart, as AP publishes them.</summary>
    private static List<JsonObject> Lifecycle(string transactionId)
    {
        var start = new DateTimeOffset(2024, 6, 25, 20, 33, 17, TimeSpan.Zero).AddTicks(137380);
        return Sep24Deposit.Select((status, step) =>
        {
            var transaction = ApEvents.Sep24DepositCreated();
            transaction["id"] = transactionId;
            transaction["status"] = status;
            transaction["started_at"] = ApEvents.Timestamp(start);
            transaction["updated_at"] = ApEvents.Timestamp(start.AddMinutes(step));
            transaction["message"] = $"step {step}";
            return ApEvents.TransactionEvent(step == 0 ? "transaction_created" : "transaction_status_changed", transaction);
        }).ToList();
    }

    private static IEnumerable<int[]> Permutations(int[] items) =>
        items.Length <= 1
            ? [items]
            : items.SelectMany((item, i) => Permutations([.. items[..i], .. items[(i + 1)..]]).Select(rest => (int[])[item, .. rest]));

    [Fact]
    public async Task Every_delivery_order_of_a_five_event_lifecycle_ends_in_the_newest_state_with_the_full_timeline()
    {
        var orders = Permutations([0, 1, 2, 3, 4]).ToList();
        Assert.Equal(120, orders.Count);
        var transactions = orders.Select(order => (Id: Guid.NewGuid().ToString(), Order: order)).ToList();

        // Each transaction's events in its own order; transactions side by side, as several partitions would deliver.
        await Parallel.ForEachAsync(transactions, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (transaction, _) =>
        {
            var events = Lifecycle(transaction.Id);
            var client = app.CreateApClient();
            foreach (var step in transaction.Order)
                Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(events[step])).StatusCode);
        });

        var query = app.CreateQueryClient();
        foreach (var (id, order) in transactions)
        {
            var state = await query.GetJsonAsync($"/transactions/{id}");
            Assert.True((string?)state["status"] == "completed", $"delivered in order {string.Join(",", order)}: {state}");
            Assert.Equal("step 4", (string?)state["message"]);
            Assert.Equal("2024-06-25T20:37:17.013738Z", (string?)state["updated_at"]);

            var timeline = (await query.GetJsonAsync($"/transactions/{id}/events"))["data"]!.AsArray();
            Assert.Equal(Sep24Deposit, timeline.Select(e => (string?)e!["status"]));
        }
    }

    [Fact]
    public async Task A_late_redelivery_of_an_old_event_changes_nothing()
    {
        var id = Guid.NewGuid().ToString();
        var events = Lifecycle(id);
        var ap = app.CreateApClient();
        foreach (var body in events) Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(body)).StatusCode);
        var query = app.CreateQueryClient();
        var before = (await query.GetJsonAsync($"/transactions/{id}")).ToJsonString();

        var redelivery = events[1].DeepClone().AsObject();
        redelivery["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow, 9);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(redelivery)).StatusCode);

        Assert.Equal(before, (await query.GetJsonAsync($"/transactions/{id}")).ToJsonString());
        Assert.Equal(5, (await query.GetJsonAsync($"/transactions/{id}/events"))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_older_snapshot_arriving_late_does_not_overwrite_a_newer_one()
    {
        var id = Guid.NewGuid().ToString();
        var events = Lifecycle(id);
        var ap = app.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(events[3])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(events[2])).StatusCode);

        var state = await app.CreateQueryClient().GetJsonAsync($"/transactions/{id}");
        Assert.Equal("pending_stellar", (string?)state["status"]);
    }

    [Fact]
    public async Task On_equal_updated_at_the_later_received_event_wins()
    {
        var id = Guid.NewGuid().ToString();
        var events = Lifecycle(id);
        // AP fires transaction_status_changed even when only the message changed, within the same instant.
        var first = events[2];
        var second = events[2].DeepClone().AsObject();
        second["id"] = Guid.NewGuid().ToString();
        second["payload"]!["transaction"]!["message"] = "amounts confirmed";
        var ap = app.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(second)).StatusCode);

        var query = app.CreateQueryClient();
        Assert.Equal("amounts confirmed", (string?)(await query.GetJsonAsync($"/transactions/{id}"))["message"]);
        var timeline = (await query.GetJsonAsync($"/transactions/{id}/events"))["data"]!.AsArray();
        Assert.Equal([(string)first["id"]!, (string)second["id"]!], timeline.Select(e => (string)e!["id"]!));
    }

    [Fact]
    public async Task Without_updated_at_started_at_orders_the_snapshots()
    {
        var id = Guid.NewGuid().ToString();
        var events = Lifecycle(id);
        events[0]["payload"]!["transaction"]!.AsObject().Remove("updated_at");
        var ap = app.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(events[1])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(events[0])).StatusCode);

        Assert.Equal("pending_user_transfer_start", (string?)(await app.CreateQueryClient().GetJsonAsync($"/transactions/{id}"))["status"]);
    }

    [Fact]
    public async Task The_snapshot_is_served_as_AP_sent_it()
    {
        var transaction = ApEvents.Sep24DepositCompleted();
        transaction["x_future_field"] = new JsonObject { ["kept"] = "as sent" };
        Assert.Equal(HttpStatusCode.OK,
            (await app.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_status_changed", transaction))).StatusCode);

        var served = await app.CreateQueryClient().GetJsonAsync($"/transactions/{transaction["id"]}");

        Assert.True(JsonNode.DeepEquals(transaction, served), $"sent {transaction}\nserved {served}");
    }

    [Fact]
    public async Task The_timeline_carries_each_events_times_in_RFC_3339_UTC()
    {
        var id = Guid.NewGuid().ToString();
        var created = Lifecycle(id)[0];
        created["timestamp"] = "2024-06-25T20:33:18.5+00:00";
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(created)).StatusCode);

        var entry = (await app.CreateQueryClient().GetJsonAsync($"/transactions/{id}/events"))["data"]![0]!;

        Assert.Equal((string)created["id"]!, (string?)entry["id"]);
        Assert.Equal("transaction_created", (string?)entry["type"]);
        Assert.Equal("incomplete", (string?)entry["status"]);
        Assert.Equal("2024-06-25T20:33:17.013738Z", (string?)entry["updated_at"]);
        Assert.Equal("2024-06-25T20:33:18.5Z", (string?)entry["timestamp"]);
        Assert.EndsWith("Z", (string?)entry["received_at"]);
        Assert.True((long)entry["sequence_number"]! > 0);
    }

    [Fact]
    public async Task Unknown_transactions_are_404_problems()
    {
        var query = app.CreateQueryClient();
        foreach (var url in new[] { "/transactions/no-such-transaction", "/transactions/no-such-transaction/events" })
        {
            var response = await query.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("no-such-transaction", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]);
        }
    }
}
