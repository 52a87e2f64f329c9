using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// Retention (issue 20): <c>events</c> is partitioned by month and a month expires by dropping its partition; the state,
/// the ids (a redelivery is still recognised) and the feed's no-skip guarantee stay right across it. The app's clock is
/// set to each month in turn, and the upkeep run by hand.
/// </summary>
public sealed class RetentionTests
{
    private const string CallbackKey = "retention-callback-key-0123456789";

    private static readonly DateTimeOffset ThisMonth =
        new(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_expired_month_is_dropped_whole_while_state_ids_and_the_feed_stay_right()
    {
        var clock = new SettableClock();
        // 40 days: a day into next month, the month before last has ended more than 40 days ago, last month has not.
        await using var owner = RetainingApp(new() { ["Retention:Events"] = "40.00:00:00" });
        Move(clock, ThisMonth.AddMonths(-2).AddDays(10));
        var app = WithClock(owner, clock);

        var transaction = ApEvents.Sep24DepositCreated();
        var created = ApEvents.TransactionEvent("transaction_created", transaction);
        var oldest = await StoreAsync(app, created);
        Move(clock, ThisMonth.AddMonths(-1).AddDays(10));
        var customer = await StoreAsync(app, ApEvents.CustomerUpdated());
        Move(clock, ThisMonth.AddDays(10));
        var completed = ApEvents.Sep24DepositCreated();
        completed["id"] = transaction["id"]!.GetValue<string>();
        completed["status"] = "completed";
        completed["updated_at"] = "2024-06-26T10:00:00Z";
        var newest = await StoreAsync(app, ApEvents.TransactionEvent("transaction_status_changed", completed));

        Move(clock, ThisMonth.AddMonths(1).AddDays(1));
        await app.Services.GetRequiredService<RetentionWorker>().UpkeepAsync(CancellationToken.None);

        // The oldest month's partition is gone; the others are whole.
        Assert.False(await owner.ScalarAsync<bool>("SELECT to_regclass($1) IS NOT NULL", RetentionStore.PartitionName(PartitionedTables.Events, ThisMonth.AddMonths(-2))));
        Assert.True(await owner.ScalarAsync<bool>("SELECT to_regclass($1) IS NOT NULL", RetentionStore.PartitionName(PartitionedTables.Events, ThisMonth.AddMonths(-1))));
        Assert.Equal([customer, newest], await SequenceNumbersAsync(owner));
        Assert.Equal(oldest, await owner.ScalarAsync<long>("SELECT last_seq FROM expired_partitions"));

        // State stays: the transaction's newest snapshot; its timeline lists the events still kept.
        var query = QueryClient(app);
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{transaction["id"]}"))["status"]);
        var timeline = await query.GetJsonAsync($"/transactions/{transaction["id"]}/events");
        Assert.Equal([newest], timeline["data"]!.AsArray().Select(e => (long)e!["sequence_number"]!));

        // A redelivery of the expired event is recognised: 200, and nothing stored again.
        Assert.Equal(HttpStatusCode.OK, (await ApClient(app).PostEventAsync(created)).StatusCode);
        Assert.Equal([customer, newest], await SequenceNumbersAsync(owner));

        // A reader inside the expired range is told where the retained events start; one at its edge misses nothing.
        foreach (var behind in new[] { 0, oldest - 1 })
            await AssertGoneAsync(await query.GetAsync($"/events?last_sequence_number={behind}&wait=0"), firstRetained: customer);
        using var resume = new HttpRequestMessage(HttpMethod.Get, "/events/stream") { Headers = { { "Last-Event-ID", "0" } } };
        await AssertGoneAsync(await query.SendAsync(resume), firstRetained: customer);
        var page = await query.GetJsonAsync($"/events?last_sequence_number={oldest}&wait=0");
        Assert.Equal([customer, newest], page["data"]!.AsArray().Select(e => (long)e!["sequence_number"]!));

        // The expired event itself: 410, by id and by number.
        Assert.Equal(HttpStatusCode.Gone, (await query.GetAsync($"/event/{created["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await query.GetAsync($"/event/sequence/{oldest}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await query.GetAsync($"/event/{ApEvents.NewId()}")).StatusCode);
    }

    [Fact]
    public async Task Lists_still_show_every_transaction_when_every_event_has_expired()
    {
        var clock = new SettableClock();
        await using var owner = RetainingApp(new() { ["Retention:Events"] = "1.00:00:00" });
        Move(clock, ThisMonth.AddDays(3));
        var app = WithClock(owner, clock);
        var transaction = ApEvents.Sep24DepositCreated();
        await StoreAsync(app, ApEvents.TransactionEvent("transaction_created", transaction));

        Move(clock, ThisMonth.AddMonths(1).AddDays(2));
        await app.Services.GetRequiredService<RetentionWorker>().UpkeepAsync(CancellationToken.None);

        Assert.Equal(0, await owner.CountAsync("events"));
        var list = await QueryClient(app).GetJsonAsync("/transactions");
        Assert.Equal([(string)transaction["id"]!], list["data"]!.AsArray().Select(t => (string)t!["id"]!));
    }

    [Fact]
    public async Task Partitions_are_made_ahead_of_the_clock_so_ingest_never_lacks_one()
    {
        var clock = new SettableClock();
        await using var owner = RetainingApp([]);
        Move(clock, ThisMonth.AddDays(3));
        var app = WithClock(owner, clock);
        _ = app.Server;
        for (var ahead = 0; ahead <= RetentionWorker.MonthsAhead; ahead++)
            Assert.True(await owner.ScalarAsync<bool>("SELECT to_regclass($1) IS NOT NULL", RetentionStore.PartitionName(PartitionedTables.Events, ThisMonth.AddMonths(ahead))));

        // Past the last month made: without an upkeep the insert has no partition (503); the upkeep makes it.
        Move(clock, ThisMonth.AddMonths(RetentionWorker.MonthsAhead + 1).AddDays(3));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ApClient(app).PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        await app.Services.GetRequiredService<RetentionWorker>().UpkeepAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, (await ApClient(app).PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }

    [Fact]
    public async Task Rejected_events_expire_a_month_at_a_time_and_reconciliation_runs_by_age()
    {
        var clock = new SettableClock();
        await using var owner = RetainingApp(new()
        {
            ["Retention:RejectedEvents"] = "40.00:00:00", ["Retention:ReconciliationRuns"] = "30.00:00:00",
        });
        Move(clock, ThisMonth.AddMonths(-2).AddDays(10));
        var app = WithClock(owner, clock);
        var invalid = ApEvents.CustomerUpdated();
        invalid["payload"] = "not an object";
        // AP's retries within a month count on one row; a retry in a later month is a row of that month.
        foreach (var month in new[] { -2, -2, -1, 0 })
        {
            Move(clock, ThisMonth.AddMonths(month).AddDays(10));
            Assert.Equal(HttpStatusCode.BadRequest, (await ApClient(app).PostEventAsync(invalid)).StatusCode);
        }
        // A month of several rows expires as one (a month of one row would hide a drop that counts rows).
        Move(clock, ThisMonth.AddMonths(-2).AddDays(11));
        var another = ApEvents.CustomerUpdated();
        another["payload"] = "not an object either";
        Assert.Equal(HttpStatusCode.BadRequest, (await ApClient(app).PostEventAsync(another)).StatusCode);
        Assert.Equal("2,1,1,1", await owner.ScalarAsync<string>(
            "SELECT string_agg(attempts::text, ',' ORDER BY received_month, attempts DESC) FROM rejected_events"));

        Move(clock, ThisMonth.AddMonths(1).AddDays(1));
        foreach (var daysAgo in new[] { 31, 29 })
            await owner.ScalarAsync<int>(
                """
                INSERT INTO reconciliation_runs (trigger, status, started_at, transactions_checked, gaps_closed, error_count, errors)
                VALUES ('schedule', 'succeeded', $1, 0, 0, 0, '[]')
                """, clock.GetUtcNow().AddDays(-daysAgo));
        await app.Services.GetRequiredService<RetentionWorker>().UpkeepAsync(CancellationToken.None);

        Assert.False(await owner.ScalarAsync<bool>("SELECT to_regclass($1) IS NOT NULL",
            RetentionStore.PartitionName(PartitionedTables.RejectedEvents, ThisMonth.AddMonths(-2))));
        Assert.Equal("1,1", await owner.ScalarAsync<string>("SELECT string_agg(attempts::text, ',' ORDER BY received_month) FROM rejected_events"));
        Assert.Equal(1, await owner.CountAsync("reconciliation_runs"));
    }

    private static ReceiverApp RetainingApp(Dictionary<string, string?> settings)
    {
        // api_key, not jwt: AP's tokens carry real instants, which a clock months away would refuse.
        settings["CallbackApi:Auth:Type"] = "api_key";
        settings["CallbackApi:Auth:Secret"] = CallbackKey;
        return ReceiverApp.With(settings);
    }

    private static void Move(SettableClock clock, DateTimeOffset to) => clock.Offset = to - DateTimeOffset.UtcNow;

    /// <summary>The app with <paramref name="clock"/> as its <see cref="TimeProvider"/>; disposed with its owner.</summary>
    private static WebApplicationFactory<Program> WithClock(ReceiverApp owner, SettableClock clock) =>
        owner.WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));

    private static HttpClient ApClient(WebApplicationFactory<Program> app)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", CallbackKey);
        return client;
    }

    private static HttpClient QueryClient(WebApplicationFactory<Program> app)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ReceiverApp.QueryKey);
        return client;
    }

    /// <summary>Posts <paramref name="body"/>; answers the sequence number it was stored under.</summary>
    private static async Task<long> StoreAsync(WebApplicationFactory<Program> app, JsonObject body)
    {
        Assert.Equal(HttpStatusCode.OK, (await ApClient(app).PostEventAsync(body)).StatusCode);
        return (long)(await QueryClient(app).GetJsonAsync($"/event/{body["id"]}"))["sequence_number"]!;
    }

    private static async Task<long[]> SequenceNumbersAsync(ReceiverApp owner) =>
        (await owner.ScalarAsync<long[]>("SELECT array_agg(seq ORDER BY seq) FROM events"))!;

    private static async Task AssertGoneAsync(HttpResponseMessage response, long firstRetained)
    {
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(firstRetained, (long)problem!["first_sequence_number"]!);
    }
}
