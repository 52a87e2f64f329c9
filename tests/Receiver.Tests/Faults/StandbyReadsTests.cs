using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Receiver.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Receiver.Tests.Faults;

/// <summary>
/// Reads from a standby (<c>ConnectionStrings:ReceiverStandby</c>) on a replicated cluster of the test's own, the
/// standby asynchronous so that it can fall behind: the feed's order and wake-ups, the staleness bound
/// (<c>Database:Standby:MaxLag</c>) and a standby that is down. Replay is paused on the standby
/// (<c>pg_wal_replay_pause()</c>) to make it fall behind when the test says so.
/// </summary>
public sealed class StandbyReadsTests(ITestOutputHelper output)
{
    private const string Reads = "receiver_database_reads_total";

    /// <summary>MaxLag (1 s in these tests) and a check interval, with room for a loaded machine: not a timing, a bound.</summary>
    private static readonly TimeSpan VisibleWithin = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_reader_following_the_feed_from_the_standby_gets_every_event_once_and_in_order_while_two_instances_store_concurrently()
    {
        await using var setup = await StandbySetup.StartAsync(maxLag: TimeSpan.FromMinutes(1));
        await using var other = ReceiverApp.Beside(setup.App);
        // Started before the concurrent requests: each would otherwise start a host of its own.
        await other.InitializeAsync();
        // The first check may find the standby short of what the primary had just inserted: the reads go to it from the next.
        await setup.UntilReadsGoToTheStandbyAsync();
        var query = setup.App.CreateQueryClient();
        var bodies = Enumerable.Range(0, 1000).Select(i => i % 3 == 0 ? ApEvents.CustomerUpdated() : ApEvents.QuoteCreated()).ToList();
        var before = await Scrape.OfAsync(query);
        var took = Stopwatch.StartNew();

        // Besides the reader, what the standby shows, looked at as often as it answers: (how many events, the newest).
        var shown = new List<(long Count, long Newest)>();
        using var looking = new CancellationTokenSource();
        var looker = Task.Run(async () =>
        {
            await using var standby = new NpgsqlConnection(setup.Cluster.Standby.ConnectionString(StandbySetup.Database));
            await standby.OpenAsync();
            await using var look = new NpgsqlCommand("SELECT count(*), coalesce(max(seq), 0) FROM events", standby);
            while (!looking.IsCancellationRequested)
            {
                await using var row = await look.ExecuteReaderAsync();
                await row.ReadAsync();
                shown.Add((row.GetInt64(0), row.GetInt64(1)));
            }
        });

        // Small pages and short waits: many reads, each of a standby a few commits behind the primary.
        var received = new List<long>();
        var writing = Parallel.ForEachAsync(bodies.Select((body, i) => (body, i)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, _) =>
        {
            var client = (item.i % 2 == 0 ? setup.App : other).CreateApClient();
            Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(item.body)).StatusCode);
        });
        long after = 0;
        var pages = 0;
        for (; !writing.IsCompleted || after < await setup.App.ScalarAsync<long>("SELECT max(seq) FROM events"); pages++)
        {
            Assert.True(pages < 10_000, "the reader never caught up with the primary");
            var page = await query.GetJsonAsync($"/events?last_sequence_number={after}&limit=7&wait=1");
            received.AddRange(page["data"]!.AsArray().Select(e => (long)e!["sequence_number"]!));
            after = (long)page["last_sequence_number"]!;
        }
        await writing;
        await looking.CancelAsync();
        await looker;

        // Every event the primary stored, once each, in the order of the primary's sequence numbers: no gap, no repeat.
        var stored = await setup.App.ScalarAsync<long[]>("SELECT array_agg(seq ORDER BY seq) FROM events");
        Assert.Equal(bodies.Count, stored!.Length);
        Assert.Equal(stored, received);
        // Whenever the standby showed an event, it showed every event numbered below it (of those the primary stored).
        var notPrefixes = shown.Where(look => look.Count != stored.Count(seq => seq <= look.Newest)).ToList();
        Assert.True(notPrefixes.Count == 0, $"the standby showed events with gaps below them {notPrefixes.Count} times of {shown.Count}");
        var scrape = await Scrape.OfAsync(query);
        double Grew(string name, params (string, string)[] labels) => scrape.Value(name, labels) - before.Value(name, labels);
        Assert.True(Grew(Reads, ("server", "standby")) > 0, "no read went to the standby");
        output.WriteLine(
            $"{received.Count} events in {took.Elapsed.TotalSeconds:0.0} s, {pages} pages, {shown.Count} looks at the standby; " +
            $"reads: {Grew(Reads, ("server", "standby"))} standby, " +
            $"{Grew(Reads, ("server", "primary"))} primary; delivery lag of polls: mean " +
            $"{1000 * Grew("receiver_feed_delivery_lag_seconds_sum", ("kind", "poll")) / Grew("receiver_feed_delivery_lag_seconds_count", ("kind", "poll")):0.0} ms");
    }

    /// <summary>
    /// NOTIFY is not replayed on a standby, and a standby shows a commit only once it has replayed it: a reader woken by
    /// the primary's NOTIFY that read the standby at once would find nothing and sleep again, getting the event only
    /// at the end of its wait (a long-poll) or after its next heartbeat (a stream: 300 s here, beyond SseReader's
    /// patience). Replay is paused while the event is stored, so the wake-up always comes before the standby has it.
    /// </summary>
    [Fact]
    public async Task A_long_poll_and_a_stream_served_by_the_standby_deliver_an_event_stored_while_they_wait_once_the_standby_replays_it()
    {
        await using var setup = await StandbySetup.StartAsync(
            maxLag: TimeSpan.FromMinutes(1), settings: new Dictionary<string, string?> { ["Feed:HeartbeatSeconds"] = "300" });
        var query = setup.App.CreateQueryClient();
        var ap = setup.App.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.QuoteCreated())).StatusCode);
        await setup.Cluster.WaitForStandbyAsync();
        var start = await setup.App.ScalarAsync<long>("SELECT max(seq) FROM events");
        await setup.UntilReadsGoToTheStandbyAsync();
        var (response, stream) = await SseReader.OpenAsync(query, $"/events/stream?last_sequence_number={start}");
        using var _ = response;
        using var __ = stream;
        Assert.Equal("2000", (await stream.NextAsync())!.Retry);
        var poll = query.GetJsonAsync($"/events?last_sequence_number={start}&wait=40");
        var before = await Scrape.OfAsync(query);

        await setup.PauseReplayAsync();
        var stored = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(stored)).StatusCode);
        // Time for a reader that does not wait for the standby to wake, read nothing and go back to sleep (or, served
        // by the primary, to answer).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(poll.IsCompleted, "the long-poll answered while its standby, within the bound, lacked the event");
        await setup.ResumeReplayAsync();

        var streamed = await stream.EventsAsync(1);
        Assert.Equal((string)stored["id"]!, (string)Assert.Single(streamed).Event["id"]!);
        var polled = (await poll)["data"]!.AsArray();
        Assert.Equal((string)stored["id"]!, (string)Assert.Single(polled)!["id"]!);
        Assert.True((await Scrape.OfAsync(query)).Value(Reads, ("server", "standby")) > before.Value(Reads, ("server", "standby")),
            "the event was not read from the standby");
    }

    /// <summary>
    /// With replay paused the standby falls further behind with every moment; past <c>Database:Standby:MaxLag</c> reads
    /// go to the primary, which has the event, and come back to the standby once it has caught up.
    /// </summary>
    [Fact]
    public async Task A_standby_that_falls_behind_does_not_keep_the_query_API_further_behind_than_MaxLag()
    {
        await using var setup = await StandbySetup.StartAsync(maxLag: TimeSpan.FromSeconds(1));
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();

        await setup.PauseReplayAsync();
        var transaction = ApEvents.Sep24DepositCreated();
        Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
        var stored = Stopwatch.StartNew();
        var id = (string)transaction["id"]!;
        var primaryReadsBefore = (await Scrape.OfAsync(query)).Value(Reads, ("server", "primary"));
        // The bound, with room for a loaded machine: 1 s of MaxLag, a check interval, the requests themselves.
        await Eventually.HoldsAsync(async () => (await query.GetAsync($"/transactions/{id}")).StatusCode == HttpStatusCode.OK,
            "the transaction stored on the primary did not show while the standby was paused", within: VisibleWithin);
        output.WriteLine($"shown {stored.Elapsed.TotalSeconds:0.0} s after the 200");
        var scrape = await Scrape.OfAsync(query);
        Assert.True(scrape.Value(Reads, ("server", "primary")) > primaryReadsBefore, "the transaction was not read from the primary");
        Assert.True(scrape.Value("receiver_database_standby_lag_seconds") > 1, "the standby's lag is not measured past the bound");
        Assert.Contains((await query.GetJsonAsync("/events?last_sequence_number=0&wait=0"))["data"]!.AsArray(),
            e => (string?)e!["payload"]!["transaction"]?["id"] == id);

        await setup.ResumeReplayAsync();
        await setup.UntilReadsGoToTheStandbyAsync();
        await query.GetJsonAsync($"/transactions/{id}");
    }

    /// <summary>
    /// A standby named alone (as a CloudNativePG <c>-ro</c> service is) that goes down: Receiver's checks send reads to
    /// the primary. Named after the primary with <c>prefer-standby</c>: Npgsql itself connects to the primary.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task While_the_standby_is_down_reads_go_to_the_primary(bool namesThePrimaryToo)
    {
        await using var setup = await StandbySetup.StartAsync(
            maxLag: TimeSpan.FromMinutes(1),
            standbyConnectionString: cluster => namesThePrimaryToo
                ? cluster.ConnectionString(StandbySetup.Database, "prefer-standby")
                : cluster.Standby.ConnectionString(StandbySetup.Database));
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();
        var start = await setup.App.ScalarAsync<long>("SELECT max(seq) FROM events");

        await setup.Cluster.Standby.StopAsync();
        var transaction = ApEvents.Sep24DepositCreated();
        Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);

        await query.GetJsonAsync($"/transactions/{(string)transaction["id"]!}");
        var polled = (await query.GetJsonAsync($"/events?last_sequence_number={start}&wait=30"))["data"]!.AsArray();
        Assert.Equal((string)transaction["id"]!, (string)Assert.Single(polled)!["payload"]!["transaction"]!["id"]!);
    }

    /// <summary>
    /// An event the standby (within the bound) has not replayed yet, asked for by its sequence number, as a consumer
    /// does after the feed delivered it from the primary: a committed event is read where it shows, not answered 404.
    /// </summary>
    [Fact]
    public async Task An_event_committed_but_not_yet_replayed_is_found_by_its_sequence_number()
    {
        await using var setup = await StandbySetup.StartAsync(maxLag: TimeSpan.FromMinutes(1));
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();

        await setup.PauseReplayAsync();
        try
        {
            var stored = ApEvents.QuoteCreated();
            Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(stored)).StatusCode);
            var sequence = await setup.App.ScalarAsync<long>("SELECT seq FROM event_ids WHERE id = $1", (string)stored["id"]!);
            Assert.Equal((string)stored["id"]!, (string)(await query.GetJsonAsync($"/event/sequence/{sequence}"))["id"]!);
        }
        finally
        {
            await setup.ResumeReplayAsync();
        }
    }

    /// <summary>
    /// An operator promotes the standby (or a split brain makes it a primary) while Receiver keeps writing to the old
    /// primary: the promoted server, out of recovery, replays nothing more and lacks every later commit. Reads go to
    /// the primary; the lag it is measured at grows; a long-poll gets the event.
    /// </summary>
    [Fact]
    public async Task A_promoted_standby_that_is_not_the_primary_serves_no_reads()
    {
        await using var setup = await StandbySetup.StartAsync(maxLag: TimeSpan.FromSeconds(1));
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();
        var start = await setup.App.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events");

        await setup.Cluster.Standby.PromoteAsync();
        var poll = query.GetJsonAsync($"/events?last_sequence_number={start}&wait=20");
        var transaction = ApEvents.Sep24DepositCreated();
        Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
        var stored = Stopwatch.StartNew();
        var id = (string)transaction["id"]!;

        await Eventually.HoldsAsync(async () => (await query.GetAsync($"/transactions/{id}")).StatusCode == HttpStatusCode.OK,
            "the transaction stored on the primary did not show while the promoted standby lacked it", within: VisibleWithin);
        output.WriteLine($"shown {stored.Elapsed.TotalSeconds:0.0} s after the 200");
        var polled = (await poll)["data"]!.AsArray();
        Assert.Equal(id, (string)Assert.Single(polled)!["payload"]!["transaction"]!["id"]!);
        await Eventually.HoldsAsync(async () => (await Scrape.OfAsync(query)).Value("receiver_database_standby_lag_seconds") > 1,
            "the promoted standby's lag is not measured past the bound");
    }

    /// <summary>
    /// <c>prefer-standby</c> over both hosts: while the standby is down the checks reach the primary; the standby comes
    /// back having replayed less than the primary has (<c>recovery_min_apply_delay</c> holds its replay 30 s back).
    /// What was measured on the primary says nothing of it: no read shows the state from before the event.
    /// </summary>
    [Fact]
    public async Task A_standby_that_comes_back_behind_after_prefer_standby_reached_the_primary_serves_nothing_older_than_MaxLag()
    {
        await using var setup = await StandbySetup.StartAsync(
            maxLag: TimeSpan.FromSeconds(1),
            standbyConnectionString: cluster => cluster.ConnectionString(StandbySetup.Database, "prefer-standby") + ";Host Recheck Seconds=1");
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();
        var dataDirectory = (string)(await setup.StandbyScalarAsync("SHOW data_directory"))!;

        await setup.Cluster.Standby.StopAsync("fast");
        File.AppendAllText(Path.Combine(dataDirectory, "postgresql.auto.conf"), "\nrecovery_min_apply_delay = '30s'\n");
        var transaction = ApEvents.Sep24DepositCreated();
        Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
        var stored = Stopwatch.StartNew();
        var id = (string)transaction["id"]!;
        await Eventually.HoldsAsync(async () => (await query.GetAsync($"/transactions/{id}")).StatusCode == HttpStatusCode.OK,
            "the transaction did not show while the standby was down", within: VisibleWithin);
        await setup.Cluster.Standby.StartAsync();

        var answers = new List<string>();
        while (stored.Elapsed < TimeSpan.FromSeconds(20))
        {
            var status = (await query.GetAsync($"/transactions/{id}")).StatusCode;
            answers.Add($"{stored.Elapsed.TotalSeconds:0.0} s after the 200: {(int)status}");
            await Task.Delay(100);
        }
        Assert.True(answers.All(answer => answer.EndsWith(" 200")), string.Join("\n", answers.Where(answer => !answer.EndsWith(" 200"))));
    }

    /// <summary>
    /// A standby that hangs (every process stopped with SIGSTOP: its sockets stay open, nothing answers): a read tries
    /// it for a moment only, and the primary answers within the same request; <c>/event</c> never notices.
    /// </summary>
    [Fact]
    public async Task Reads_answer_from_the_primary_while_the_standby_is_frozen()
    {
        await using var setup = await StandbySetup.StartAsync(
            maxLag: TimeSpan.FromSeconds(5), settings: new Dictionary<string, string?> { ["Database:ReadTimeout"] = "00:00:03" });
        var query = setup.App.CreateQueryClient();
        await setup.UntilReadsGoToTheStandbyAsync();

        setup.Cluster.Standby.Freeze();
        try
        {
            var frozen = Stopwatch.StartNew();
            var answers = new List<HttpStatusCode>();
            while (frozen.Elapsed < TimeSpan.FromSeconds(10)) answers.Add((await query.GetAsync("/transactions?limit=1")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await setup.App.CreateApClient().PostEventAsync(ApEvents.QuoteCreated())).StatusCode);
            Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        }
        finally
        {
            setup.Cluster.Standby.Thaw();
        }
    }

    /// <summary>A replicated cluster of the test's own, and an app on its primary whose reads may go to its standby.</summary>
    private sealed class StandbySetup : IAsyncDisposable
    {
        public const string Database = "receiver";

        private StandbySetup(ReplicatedCluster cluster, ReceiverApp app)
        {
            Cluster = cluster;
            App = app;
        }

        public ReplicatedCluster Cluster { get; }
        public ReceiverApp App { get; }

        public static async Task<StandbySetup> StartAsync(
            TimeSpan maxLag, Func<ReplicatedCluster, string>? standbyConnectionString = null, IReadOnlyDictionary<string, string?>? settings = null)
        {
            var cluster = await ReplicatedCluster.CreateAsync(synchronous: false);
            var app = ReceiverApp.With(
                new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
                {
                    ["ConnectionStrings:ReceiverStandby"] = standbyConnectionString?.Invoke(cluster) ?? cluster.Standby.ConnectionString(Database),
                    ["Database:Standby:MaxLag"] = maxLag.ToString("c"),
                },
                cluster.Primary.ConnectionString(Database));
            await app.InitializeAsync();
            // The database and its schema, created on the primary at start, are on the standby too.
            await cluster.WaitForStandbyAsync();
            return new StandbySetup(cluster, app);
        }

        /// <summary>Until a list read goes to the standby: it has the schema, and is within the bound.</summary>
        public Task UntilReadsGoToTheStandbyAsync()
        {
            var query = App.CreateQueryClient();
            return Eventually.HoldsAsync(async () =>
            {
                var before = (await Scrape.OfAsync(query)).Value(Reads, ("server", "standby"));
                await query.GetJsonAsync("/transactions?limit=1");
                return (await Scrape.OfAsync(query)).Value(Reads, ("server", "standby")) > before;
            }, "reads did not go to the standby");
        }

        /// <summary>Returns once the standby has stopped replaying: what the primary writes from then on, it lacks.</summary>
        public async Task PauseReplayAsync()
        {
            await StandbyScalarAsync("SELECT pg_wal_replay_pause()");
            await Eventually.HoldsAsync(async () => (string?)await StandbyScalarAsync("SELECT pg_get_wal_replay_pause_state()") == "paused",
                "the standby did not pause its replay");
        }

        public Task ResumeReplayAsync() => StandbyScalarAsync("SELECT pg_wal_replay_resume()");

        public async Task<object?> StandbyScalarAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(Cluster.Standby.ConnectionString("postgres"));
            await connection.OpenAsync();
            return await new NpgsqlCommand(sql, connection).ExecuteScalarAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }
}
