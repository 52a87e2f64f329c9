using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// The group commit stores a batch with one statement per kind of subject. Several events of one subject in a batch
/// must then come out as they would one at a time: the newest snapshot wins, each customer update counts.
/// </summary>
public sealed class SetBasedBatchTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task One_batch_with_several_events_per_subject_keeps_the_newest_snapshot_and_counts_every_update()
    {
        var store = app.Services.GetRequiredService<EventStore>();
        var transaction = ApEvents.NewId();
        var quote = ApEvents.NewId();
        var customer = ApEvents.NewId();
        var named = ApEvents.NewId();
        var start = DateTimeOffset.UtcNow.AddHours(-1);

        // Snapshots of one transaction in shuffled order, the newest (minute 4) in the middle; two with equal
        // updated_at (minute 2), where the later in the batch wins; a quote twice; a customer updated three times.
        var minutes = new[] { 1, 3, 4, 0, 2, 2 };
        var rows = minutes.Select((minute, i) => TransactionRow(transaction, start, start.AddMinutes(minute), $"status-{i}", named)).ToList();
        rows.Add(QuoteRow(quote, "first"));
        rows.Add(QuoteRow(quote, "second"));
        rows.AddRange(Enumerable.Range(0, 3).Select(_ => CustomerRow(customer)));

        var stored = await store.InsertBatchAsync(rows, CancellationToken.None);

        Assert.All(stored, sequenceNumber => Assert.NotNull(sequenceNumber));
        Assert.Equal(rows.Count, stored.Distinct().Count());
        Assert.Equal(rows[2].Id, await app.ScalarAsync<string>("SELECT head_event_id FROM transactions WHERE id = $1", transaction));
        Assert.Equal("status-2", await app.ScalarAsync<string>("SELECT snapshot->>'message' FROM transactions WHERE id = $1", transaction));
        Assert.Equal(rows[minutes.Length].Id, await app.ScalarAsync<string>("SELECT event_id FROM quotes WHERE id = $1", quote));
        Assert.Equal(3, await app.ScalarAsync<int>("SELECT update_count FROM customers WHERE id = $1", customer));
        Assert.Equal(1, await app.CountAsync("customers", "id = $1", named));

        // Equal updated_at: the one stored later wins, as when they arrive one at a time.
        var tie = ApEvents.NewId();
        var tied = new[] { TransactionRow(tie, start, start, "earlier", named), TransactionRow(tie, start, start, "later", named) };
        await store.InsertBatchAsync(tied, CancellationToken.None);
        Assert.Equal("later", await app.ScalarAsync<string>("SELECT snapshot->>'message' FROM transactions WHERE id = $1", tie));

        // A batch of events all stored already stores nothing and changes nothing.
        Assert.All(await store.InsertBatchAsync(rows, CancellationToken.None), sequenceNumber => Assert.Null(sequenceNumber));
        Assert.Equal(3, await app.ScalarAsync<int>("SELECT update_count FROM customers WHERE id = $1", customer));
    }

    [Fact]
    public async Task Concurrent_posts_of_one_id_with_different_payloads_store_one_whose_state_matches_its_body()
    {
        var first = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep24DepositCreated());
        var id = (string)first["id"]!;
        var transaction = (string)first["payload"]!["transaction"]!["id"]!;
        var bodies = Enumerable.Range(0, 20).Select(i => first.DeepClone().AsObject()
            .Set("payload/transaction/message", $"\"variant {i}\"")
            .Set("payload/transaction/updated_at", $"\"{ApEvents.Timestamp(DateTimeOffset.UtcNow.AddMinutes(i))}\"")
            .ToJsonString()).ToList();

        var responses = await Task.WhenAll(bodies.Select(body => app.CreateApClient().PostEventAsync(body)));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, await app.CountAsync("events", "id = $1", id));
        var storedBody = JsonNode.Parse(Encoding.UTF8.GetString((await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", id))!))!;
        Assert.Equal((string)storedBody["payload"]!["transaction"]!["message"]!,
            await app.ScalarAsync<string>("SELECT snapshot->>'message' FROM transactions WHERE id = $1", transaction));
        Assert.Equal(19, await app.CountAsync("rejected_events", "event_id = $1 AND reason = 'conflicting_duplicate'", id));
    }

    private static EventRow TransactionRow(string transaction, DateTimeOffset startedAt, DateTimeOffset updatedAt, string message, string customer)
    {
        var snapshot = new JsonObject { ["id"] = transaction, ["message"] = message }.ToJsonString();
        var facts = new TransactionFacts(transaction, "24", "deposit", "pending_anchor", startedAt, updatedAt, Encoding.UTF8.GetBytes(snapshot),
            ["stellar:USDC"], ["GABC"], [customer]);
        return new EventRow(ApEvents.NewId(), "transaction_status_changed", facts, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes("{}"), DateTimeOffset.UtcNow, EventSources.Ap);
    }

    private static EventRow QuoteRow(string quote, string marker)
    {
        var facts = new QuoteFacts(quote, "iso4217:USD", "stellar:USDC", DateTimeOffset.UtcNow, null, Encoding.UTF8.GetBytes($"{{\"id\":\"{quote}\",\"marker\":\"{marker}\"}}"));
        return new EventRow(ApEvents.NewId(), "quote_created", facts, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes("{}"), DateTimeOffset.UtcNow, EventSources.Ap);
    }

    private static EventRow CustomerRow(string customer) =>
        new(ApEvents.NewId(), "customer_updated", new CustomerFacts(customer), DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes("{}"), DateTimeOffset.UtcNow, EventSources.Ap);
}
