using System.Net;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// Migration <c>EventPartitions</c> (issue 20) on a database that already holds events of several months, as an upgrade
/// meets it: every event is kept in the partition of its month with its sequence number, every id is known, and the
/// sequence goes on from where it was.
/// </summary>
public sealed class EventPartitionsMigrationTests
{
    private const string Before = "20261206155651_AuditTrail";

    [Fact]
    public async Task Existing_events_keep_their_sequence_numbers_in_monthly_partitions_and_the_sequence_goes_on()
    {
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            await EarlierSchema.MigrateToAsync(connectionString, Before);
            var existing = ApEvents.CustomerUpdated();
            // Events as the release before stored them, a year apart, and a number drawn by a write that rolled back.
            await EarlierSchema.ExecuteAsync(connectionString, """
                INSERT INTO events (id, type, customer_id, body, received_at)
                VALUES ('a-year-ago', 'customer_updated', 'c', convert_to(@body, 'UTF8'), now() - interval '1 year'),
                       ('last-month', 'customer_updated', 'c', convert_to(@body, 'UTF8'), now() - interval '1 month');
                SELECT nextval('event_seq');
                INSERT INTO events (id, type, customer_id, body, received_at)
                VALUES (@id, 'customer_updated', 'c', convert_to(@body, 'UTF8'), now());
                """, ("body", existing.ToJsonString()), ("id", (string)existing["id"]!));

            // The app migrates at start, and drops the database when disposed.
            await using var upgraded = ReceiverApp.With(new Dictionary<string, string?>(), connectionString);
            _ = upgraded.Server;
            Assert.Equal($"a-year-ago:1,last-month:2,{existing["id"]}:4",
                await upgraded.ScalarAsync<string>("SELECT string_agg(id || ':' || seq, ',' ORDER BY seq) FROM events"));
            Assert.Equal(await upgraded.ScalarAsync<string>("SELECT string_agg(id || ':' || seq || ':' || received_at, ',' ORDER BY seq) FROM events"),
                await upgraded.ScalarAsync<string>("SELECT string_agg(id || ':' || seq || ':' || received_at, ',' ORDER BY seq) FROM event_ids"));
            Assert.Equal(RetentionStore.PartitionName(DateTimeOffset.UtcNow.AddYears(-1)),
                await upgraded.ScalarAsync<string>("SELECT tableoid::regclass::text FROM events WHERE id = 'a-year-ago'"));
            Assert.Equal(0, await upgraded.ScalarAsync<long>(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass AND c.relkind <> 'r'"));

            // A redelivery of an event stored before is still one; a new event is numbered after every old one.
            var ap = upgraded.CreateApClient();
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(existing)).StatusCode);
            Assert.Equal(3, await upgraded.CountAsync("events"));
            var next = ApEvents.CustomerUpdated();
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(next)).StatusCode);
            Assert.True(await upgraded.ScalarAsync<long>("SELECT seq FROM events WHERE id = $1", (string)next["id"]!) > 4);
            var feed = await upgraded.CreateQueryClient().GetJsonAsync("/events?last_sequence_number=0&wait=0");
            Assert.Equal(4, feed["data"]!.AsArray().Count);
        }
        catch
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
            throw;
        }
    }
}
