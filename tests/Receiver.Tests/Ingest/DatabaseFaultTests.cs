using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>A database that is down or too slow gets 503 with Retry-After, never a 500, and nothing half-written.</summary>
public sealed class DatabaseFaultTests
{
    [Fact]
    public async Task Database_stopped_gives_503_on_events_and_queries_and_the_next_post_after_it_returns_is_200_without_restarting_the_app()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["Database:Timeout"] = "00:00:02",
            ["Database:ReadTimeout"] = "00:00:02",
            ["Database:RetryAfterSeconds"] = "7",
        }, cluster.ConnectionString("receiver_fault"));
        await app.InitializeAsync();
        var client = app.CreateApClient();
        var before = ApEvents.CustomerUpdated();
        var during = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        var after = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(before)).StatusCode);

        await cluster.StopAsync("immediate");
        var clock = Stopwatch.StartNew();
        var unavailable = await client.PostEventAsync(during);
        clock.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), unavailable.Headers.RetryAfter?.Delta);
        Assert.Equal(503, (await unavailable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2 + 5), $"503 took {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        var query = app.CreateQueryClient();
        foreach (var url in new[] { "/transactions", $"/customers/{before["payload"]!["customer"]!["id"]}", "/events?wait=0", "/events/stream" })
        {
            var refused = await query.GetAsync(url);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
        }

        await cluster.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(after)).StatusCode);
        // AP retries the event that got 503: it is stored now, once.
        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(during)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        foreach (var body in new[] { before, during, after })
            Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)body["id"]!));
        Assert.Equal(HttpStatusCode.OK, (await query.GetAsync("/transactions")).StatusCode);
    }

    [Fact]
    public async Task After_a_database_restart_dead_pooled_connections_cost_no_event_a_503()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?>(), cluster.ConnectionString("receiver_restart"));
        await app.InitializeAsync();
        var client = app.CreateApClient();
        // Several idle connections in the pool, all of which the restart kills.
        var warmUp = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostEventAsync(ApEvents.CustomerUpdated())));
        Assert.All(warmUp, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await cluster.StopAsync("fast");
        await cluster.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }

    [Fact]
    public async Task A_database_slower_than_Database_Timeout_gives_503_within_it()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["Database:Timeout"] = "00:00:01",
            ["Database:ReadTimeout"] = "00:00:01",
        });
        await app.InitializeAsync();
        var client = app.CreateApClient();

        await using (await app.LockTableAsync("events"))
        {

            var clock = Stopwatch.StartNew();
            var response = await client.PostEventAsync(ApEvents.CustomerUpdated());
            clock.Stop();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1 + 3), $"503 took {clock.Elapsed}");

            // Many requests stuck behind the lock at once, reads too: each gets its 503 in time...
            var stuck = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => i % 2 == 0
                ? client.PostEventAsync(ApEvents.CustomerUpdated())
                : app.CreateQueryClient().GetAsync("/events?wait=0")));
            Assert.All(stuck, r =>
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
                Assert.NotNull(r.Headers.RetryAfter);
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            });
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        // ...and none of them keeps a connection: the cancelled statements gave theirs back to the pool.
        var busy = await app.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()");
        Assert.True(busy <= 1, $"{busy} of the app's connections are still busy");
        var open = await app.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()");
        Assert.True(open <= 30, $"{open} connections open after 41 timed-out requests");
    }
}
