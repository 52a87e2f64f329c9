using System.Net;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// Migrations <c>EventPartitions</c> and <c>RejectedEventPartitions</c> (issue 20) on a database that already holds
/// events and rejected events of several months, as an upgrade meets it: every row is kept in the partition of its
/// month with its number, and the numbering goes on from where it was.
/// </summary>
public sealed class RetentionMigrationTests
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
            Assert.Equal(RetentionStore.PartitionName(PartitionedTables.Events, DateTimeOffset.UtcNow.AddYears(-1)),
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

    [Fact]
    public async Task Existing_rejected_events_keep_their_ids_in_monthly_partitions_and_retries_still_count_on_them()
    {
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            await EarlierSchema.MigrateToAsync(connectionString, Before);
            await EarlierSchema.ExecuteAsync(connectionString, """
                INSERT INTO rejected_events (event_id, reason, errors, body, fingerprint, first_received_at, last_received_at)
                VALUES ('a-year-ago', 'invalid', '{}', 'x', 'x', now() - interval '1 year', now() - interval '1 year'),
                       (NULL, 'invalid', '{}', 'y', 'y', now(), now());
                """);

            await using var upgraded = ReceiverApp.With(new Dictionary<string, string?>(), connectionString);
            _ = upgraded.Server;
            Assert.Equal("1:a-year-ago,2:", await upgraded.ScalarAsync<string>(
                "SELECT string_agg(id || ':' || coalesce(event_id, ''), ',' ORDER BY id) FROM rejected_events"));
            Assert.Equal(RetentionStore.PartitionName(PartitionedTables.RejectedEvents, DateTimeOffset.UtcNow.AddYears(-1)),
                await upgraded.ScalarAsync<string>("SELECT tableoid::regclass::text FROM rejected_events WHERE id = 1"));

            // An invalid event and its retry: one new row, numbered after the old ones.
            var invalid = ApEvents.CustomerUpdated();
            invalid["payload"] = "not an object";
            for (var attempt = 0; attempt < 2; attempt++)
                Assert.Equal(HttpStatusCode.BadRequest, (await upgraded.CreateApClient().PostEventAsync(invalid)).StatusCode);
            Assert.Equal(2, await upgraded.ScalarAsync<int>("SELECT attempts FROM rejected_events WHERE id = 3"));
            Assert.Equal(3, await upgraded.CountAsync("rejected_events"));
        }
        catch
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
            throw;
        }
    }
}
