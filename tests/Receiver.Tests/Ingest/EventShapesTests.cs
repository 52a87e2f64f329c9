using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>Every event type and SEP shape AP 2.10 sends is accepted and stored once, body byte for byte.</summary>
public sealed class EventShapesTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    public static TheoryData<string> Shapes => new(ApEvents.All.Keys);

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Accepts_and_stores_each_shape(string shape)
    {
        var body = ApEvents.All[shape]().ToJsonString();
        var id = (string)JsonNode.Parse(body)!["id"]!;

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Equal(Encoding.UTF8.GetBytes(body), await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", id));
        Assert.Equal(0, await app.CountAsync("rejected_events"));
    }

    [Fact]
    public async Task Stores_type_and_subject_ids()
    {
        var client = app.CreateApClient();
        var transactionEvent = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep31PendingReceiver());
        var quoteEvent = ApEvents.QuoteCreated();
        var customerEvent = ApEvents.CustomerUpdated();

        foreach (var body in new[] { transactionEvent, quoteEvent, customerEvent })
            Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(body)).StatusCode);

        Assert.Equal("transaction_status_changed", await app.ScalarAsync<string>("SELECT type FROM events WHERE id = $1", (string)transactionEvent["id"]!));
        Assert.Equal((string)transactionEvent["payload"]!["transaction"]!["id"]!,
            await app.ScalarAsync<string>("SELECT transaction_id FROM events WHERE id = $1", (string)transactionEvent["id"]!));
        Assert.Equal((string)quoteEvent["payload"]!["quote"]!["id"]!,
            await app.ScalarAsync<string>("SELECT quote_id FROM events WHERE id = $1", (string)quoteEvent["id"]!));
        Assert.Equal((string)customerEvent["payload"]!["customer"]!["id"]!,
            await app.ScalarAsync<string>("SELECT customer_id FROM events WHERE id = $1", (string)customerEvent["id"]!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(9)]
    public async Task Accepts_timestamps_with_0_to_9_fractional_digits(int digits)
    {
        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep24DepositCreated());
        body["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow, digits);
        body["payload"]!["transaction"]!["updated_at"] = ApEvents.Timestamp(DateTimeOffset.UtcNow, digits);

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(body)).StatusCode);
    }

    [Fact]
    public async Task Keeps_unknown_extra_fields()
    {
        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        body["sep"] = "31";
        body["payload"]!["transaction"]!["withdraw_anchor_account"] = "GABC";
        body["payload"]!["transaction"]!["future_field"] = new JsonObject { ["nested"] = new JsonArray(1, 2) };
        var text = body.ToJsonString();

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(text)).StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes(text), await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", (string)body["id"]!));
    }

    [Fact]
    public async Task Accepts_every_AP_status_including_on_hold_for_every_sep()
    {
        string[] statuses =
        [
            "incomplete", "pending_user_transfer_start", "pending_user_transfer_complete", "pending_external",
            "pending_anchor", "on_hold", "pending_stellar", "pending_trust", "pending_user", "pending_sender",
            "pending_receiver", "pending_transaction_info_update", "pending_customer_info_update", "completed",
            "refunded", "expired", "error", "no_market", "too_small", "too_large",
        ];
        var client = app.CreateApClient();
        foreach (var make in new Func<JsonObject>[] { ApEvents.Sep6Deposit, ApEvents.Sep24DepositCreated, ApEvents.Sep31Created })
        {
            foreach (var status in statuses)
            {
                var transaction = make();
                transaction["status"] = status;
                var response = await client.PostEventAsync(ApEvents.TransactionEvent("transaction_status_changed", transaction));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{transaction["sep"]} {status}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }
}
