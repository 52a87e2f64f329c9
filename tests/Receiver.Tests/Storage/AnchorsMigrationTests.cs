using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// Migration <c>Anchors</c> (issue 19) on a database that already holds events, transactions and customers, as an
/// upgrade meets it: they become the receiver's own AP's, and the app goes on from them.
/// </summary>
public sealed class AnchorsMigrationTests
{
    private const string Before = "20261206090756_TransactionParts";

    [Fact]
    public async Task Existing_events_transactions_and_customers_become_the_own_APs_and_are_served_after_the_upgrade()
    {
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            await EarlierSchema.MigrateToAsync(connectionString, Before);
            var existing = ApEvents.All["sep31-pending-receiver"]();
            var transactionId = (string)existing["payload"]!["transaction"]!["id"]!;
            var customerId = (string)existing["payload"]!["transaction"]!["customers"]!["sender"]!["id"]!;
            // Rows as the release before stored them, keyed by id alone.
            await EarlierSchema.ExecuteAsync(connectionString, """
                    INSERT INTO events (id, type, transaction_id, sep, kind, status, order_key, event_timestamp, body, received_at, customer_ids)
                    VALUES ('before-upgrade', 'transaction_created', @tx, '31', 'receive', 'pending_receiver', now(), now(), convert_to(@body, 'UTF8'), now(), ARRAY[@customer]);
                    INSERT INTO transactions (id, sep, kind, status, started_at, order_key, head_seq, head_event_id, snapshot, assets, accounts, customer_ids, changed_at)
                    SELECT @tx, '31', 'receive', 'pending_receiver', now(), now(), seq, id, (@body::jsonb) -> 'payload' -> 'transaction', '{}', '{}', ARRAY[@customer], now()
                    FROM events WHERE id = 'before-upgrade';
                    INSERT INTO customers (id, first_seen_at) VALUES (@customer, now());
                    """, ("tx", transactionId), ("customer", customerId), ("body", existing.ToJsonString()));

            // The app migrates at start, and drops the database when disposed.
            await using var upgraded = ReceiverApp.With(new Dictionary<string, string?>(), connectionString);
            var query = upgraded.CreateQueryClient();
            Assert.Equal("pending_receiver", (string?)(await query.GetJsonAsync($"/transactions/{transactionId}"))["status"]);
            Assert.Equal(1, (int?)(await query.GetJsonAsync($"/customers/{customerId}"))["transaction_count"]);
            var timeline = await query.GetJsonAsync($"/transactions/{transactionId}/events");
            Assert.Null((string?)Assert.Single(timeline["data"]!.AsArray())!["anchor"]);
            // The keys changed under the rows: a later event of the same transaction still updates its one state row.
            var later = ApEvents.All["sep31-pending-receiver"]();
            later["id"] = Guid.NewGuid().ToString();
            later["payload"]!["transaction"]!["id"] = transactionId;
            later["payload"]!["transaction"]!["status"] = "completed";
            later["payload"]!["transaction"]!["updated_at"] = "2030-01-01T00:00:00Z";
            Assert.Equal(HttpStatusCode.OK, (await upgraded.CreateApClient().PostEventAsync(later.ToJsonString())).StatusCode);
            Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{transactionId}"))["status"]);
        }
        catch
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
            throw;
        }
    }
}
