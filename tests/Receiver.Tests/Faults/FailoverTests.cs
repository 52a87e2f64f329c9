using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receiver.Reconciliation;
using Receiver.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Receiver.Tests.Faults;

/// <summary>
/// A primary lost under load and its standby promoted, on real clusters made by pg_basebackup (ReplicatedCluster),
/// with Receiver reaching them through one multi-host connection string: <c>/event</c> answers only 200 or 503 with
/// Retry-After, the receiver recovers by itself, the feed has no gap and no repeat, and every acknowledged event is on
/// the new primary when the standby is synchronous. With an asynchronous standby the test measures what is lost. The
/// figures (failover time seen by <c>/event</c>, events lost) go to the test output, for docs/operations.md; no
/// assertion is on time.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Database:Timeout"] = "00:00:02",
        ["Database:ReadTimeout"] = "00:00:02",
        ["Feed:RetryMilliseconds"] = "200",
    };

    [Fact]
    public async Task A_primary_killed_under_load_and_its_synchronous_standby_promoted_loses_nothing_acknowledged_and_the_receivers_recover_by_themselves()
    {
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous: true);
        await using var first = ReceiverApp.With(Settings, cluster.ConnectionString("receiver_failover"));
        await first.InitializeAsync();
        // A second instance, whose feed readers hear of the first one's events only through its LISTEN connection.
        await using var second = ReceiverApp.Beside(first, Settings);
        await second.InitializeAsync();
        using var stopFollowing = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var streamed = new List<string>();
        var follower = FeedRestartTests.FollowStreamAsync(second.CreateQueryClient(), streamed, stopFollowing.Token);

        var load = new ApLoad(first);
        using (var stop = new CancellationTokenSource())
        {
            var sending = load.RunAsync(senders: 8, stop.Token);
            await load.AcknowledgedAsync(40);
            await cluster.Primary.KillAsync();
            var killed = load.Now;
            // A failover manager takes a while to notice (Patroni: up to its ttl, 30 s by default): longer than
            // Database:Timeout here, so the requests in flight at the kill wait it out and are answered 503.
            await Task.Delay(3000);
            await cluster.Standby.PromoteAsync();
            var promoted = load.Now;
            await Eventually.HoldsAsync(() => load.AcknowledgedSentAfter(promoted) >= 40, "no event was acknowledged after the promotion", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await sending;
            Report("synchronous standby, primary killed under load", load, killed, promoted);
        }

        load.AssertOnly200Or503WithRetryAfter();
        Assert.True(load.Count(HttpStatusCode.ServiceUnavailable, TimeSpan.Zero, TimeSpan.MaxValue) > 0, "no request met the failover");
        var newPrimary = cluster.Standby.ConnectionString("receiver_failover");
        // The second instance's stream has caught up through the failover and waits: an event stored now can reach it
        // only through a LISTEN re-established on the new primary (or the listener's own check on that connection).
        var storedBefore = (await StoredAsync(newPrimary)).Count;
        await Eventually.HoldsAsync(() => Snapshot(streamed).Count >= storedBefore, "the second instance's stream did not catch up", TimeSpan.FromSeconds(60));
        var marker = ApEvents.CustomerUpdated();
        Assert.Equal(HttpStatusCode.OK, (await first.CreateApClient().PostEventAsync(marker)).StatusCode);
        await Eventually.HoldsAsync(() => Snapshot(streamed).Contains((string)marker["id"]!), "the second instance's stream was not woken by an event stored after the failover", TimeSpan.FromSeconds(60));
        await stopFollowing.CancelAsync();
        await follower;

        var stored = await StoredAsync(newPrimary);
        Assert.Empty(load.Acknowledged.Except(stored.Select(e => e.Id)));
        Assert.Equal(stored.Count, stored.Select(e => e.Id).Distinct().Count());
        Assert.Equal(stored, await FeedFromStartAsync(first.CreateQueryClient()));
        Assert.Equal(stored.Select(e => e.Id), streamed);
    }

    /// <summary>
    /// The standby stops receiving (stopped) while the load goes on; then the primary is killed and the standby,
    /// started again, promoted: what the primary committed meanwhile was never streamed. An asynchronous standby's
    /// primary acknowledged it, and it is lost; a synchronous standby's primary could not commit without it, so those
    /// events were answered 503 (AP's retries included) and are stored once the new primary takes them.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_standby_promoted_after_missing_the_primary_s_last_commits_loses_acknowledged_events_only_when_asynchronous(bool synchronous)
    {
        var mode = synchronous ? "synchronous" : "asynchronous";
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous);
        await using var app = ReceiverApp.With(Settings, cluster.ConnectionString("receiver_failover"));
        await app.InitializeAsync();

        var load = new ApLoad(app);
        long newestOnOldPrimary;
        TimeSpan standbyStopped, killed, promoted;
        using (var stop = new CancellationTokenSource())
        {
            var sending = load.RunAsync(senders: 8, stop.Token);
            await load.AcknowledgedAsync(30);
            await cluster.Standby.StopAsync("fast");
            standbyStopped = load.Now;
            // Every sender has been answered at least twice since: an asynchronous primary acknowledges all of it, a
            // synchronous one waits for the standby until Database:Timeout, and then AP retries the same event.
            await Eventually.HoldsAsync(() => load.AnsweredSentAfter(standbyStopped) >= 16, "the load stalled", TimeSpan.FromSeconds(60));
            newestOnOldPrimary = await NewestSequenceAsync(cluster.Primary.ConnectionString("receiver_failover"));
            await cluster.Primary.KillAsync();
            killed = load.Now;
            await cluster.Standby.StartAsync();
            await cluster.Standby.PromoteAsync();
            promoted = load.Now;
            await Eventually.HoldsAsync(() => load.AcknowledgedSentAfter(promoted) >= 20, "no event was acknowledged after the promotion", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await sending;
            Report($"{mode} standby stopped, then the primary killed under load", load, killed, promoted);
            output.WriteLine($"[figures] answered while the standby was stopped: {load.AnsweredSentAfter(standbyStopped) - load.AnsweredSentAfter(killed)} " +
                             $"({load.Count(HttpStatusCode.OK, standbyStopped, killed)} with 200, {load.Count(HttpStatusCode.ServiceUnavailable, standbyStopped, killed)} with 503)");
        }

        load.AssertOnly200Or503WithRetryAfter();
        var stored = await StoredAsync(cluster.Standby.ConnectionString("receiver_failover"));
        var lost = load.Acknowledged.Except(stored.Select(e => e.Id)).ToList();
        // Numbers a feed consumer may already have read on the old primary, given again to other events by the new one.
        var numbersGivenAgain = stored.Count(e => e.Sequence <= newestOnOldPrimary && load.FirstSentAfter(e.Id, promoted));
        output.WriteLine($"[figures] {mode}: {load.Acknowledged.Count} events acknowledged, {lost.Count} of them lost; " +
                         $"{numbersGivenAgain} sequence numbers of the old primary given to other events by the new one");

        Assert.Equal(stored.Count, stored.Select(e => e.Id).Distinct().Count());
        Assert.Equal(stored, await FeedFromStartAsync(app.CreateQueryClient()));
        if (synchronous)
        {
            // Without its standby the primary acknowledges nothing, a retry of a stored event included. (A request sent
            // meanwhile may be answered 200 once the new primary has taken it.)
            Assert.Equal(0, load.AcknowledgedWhile(standbyStopped, killed));
            Assert.Empty(lost);
        }
        else
            Assert.NotEmpty(lost);
    }

    /// <summary>
    /// A cancel that reaches a batch while its commit waits for the synchronous standby (here pg_cancel_backend; in
    /// production Npgsql's cancel at Database:Timeout, or one it sent for an earlier statement of the pooled connection
    /// that arrives late) makes PostgreSQL keep the commit on the primary alone and report success with a WARNING. The
    /// request is not answered 200 on that commit: it is tried again, as a redelivery that waits for the standby, and
    /// answered 503 at Database:Timeout while the standby is away; AP's retry once it is back is answered 200.
    /// </summary>
    [Fact]
    public async Task A_commit_whose_wait_for_the_synchronous_standby_is_cancelled_is_not_acknowledged()
    {
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous: true);
        const string database = "receiver_cancelled_wait";
        // A role told to hear errors only: the batch still hears the commit's warning.
        await using (var setup = new NpgsqlConnection(cluster.Primary.ConnectionString("postgres")))
        {
            await setup.OpenAsync();
            await new NpgsqlCommand("ALTER ROLE postgres SET client_min_messages = error", setup).ExecuteNonQueryAsync();
        }
        await using var app = ReceiverApp.With(new Dictionary<string, string?>(Settings) { ["Database:Timeout"] = "00:00:05" },
            cluster.ConnectionString(database));
        await app.InitializeAsync();
        await cluster.Standby.StopAsync("fast");

        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        var answer = app.CreateApClient().PostEventAsync(body);
        await CancelStandbyWaitsAsync(cluster, database);
        var refused = await answer;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);

        await cluster.Standby.StartAsync();
        // AP's retries, until the standby is back in sync.
        await Eventually.HoldsAsync(async () => (await app.CreateApClient().PostEventAsync(body)).StatusCode == HttpStatusCode.OK,
            "the retry was not acknowledged once the standby was back");
        await cluster.WaitForStandbyAsync(database);
        await using var standby = new NpgsqlConnection(cluster.Standby.ConnectionString(database));
        await standby.OpenAsync();
        Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM events WHERE id = $1", standby)
            { Parameters = { new() { Value = (string)body["id"]! } } }.ExecuteScalarAsync());
    }

    /// <summary>
    /// The same cancel, then the standby back within Database:Timeout: the request's next try, which finds its event
    /// already stored by the try the standby did not confirm, waits for the standby and answers 200. The event is
    /// still this request's: counted as stored, not as a redelivery (and announced to the feed as new).
    /// </summary>
    [Fact]
    public async Task A_request_whose_standby_wait_was_cancelled_and_that_then_succeeds_is_answered_as_stored()
    {
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous: true);
        const string database = "receiver_cancelled_then_stored";
        await using var app = ReceiverApp.With(new Dictionary<string, string?>(Settings) { ["Database:Timeout"] = "00:01:00" },
            cluster.ConnectionString(database));
        await app.InitializeAsync();
        await cluster.Standby.StopAsync("fast");

        var answer = app.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created()));
        await CancelStandbyWaitsAsync(cluster, database);
        await cluster.Standby.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await answer).StatusCode);
        var scrape = await Scrape.OfAsync(app.CreateClient());
        Assert.Equal(1, scrape.Value("receiver_events_received_total", ("type", "transaction_created"), ("sep", "31"), ("outcome", "stored")));
        Assert.Equal(0, scrape.Value("receiver_events_received_total", ("type", "transaction_created"), ("sep", "31"), ("outcome", "redelivered")));
    }

    /// <summary>Cancels, as pg_cancel_backend does, every statement of the database that waits for the synchronous standby, once one does.</summary>
    private static async Task CancelStandbyWaitsAsync(ReplicatedCluster cluster, string database)
    {
        await using var primary = new NpgsqlConnection(cluster.Primary.ConnectionString(database));
        await primary.OpenAsync();
        await Eventually.HoldsAsync(async () => (bool)(await new NpgsqlCommand(
            "SELECT count(pg_cancel_backend(pid)) > 0 FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'SyncRep'", primary)
        { Parameters = { new() { Value = database } } }.ExecuteScalarAsync())!, "no commit waited for the standby");
    }

    /// <summary>
    /// Every use of the database through a multi-host connection string that names the standby first and says nothing
    /// of Target Session Attributes: creating the database and migrating it at start (under the migration lock),
    /// ingest, and reconciliation's run lock all reach the primary.
    /// </summary>
    [Fact]
    public async Task A_connection_string_naming_the_standby_first_migrates_writes_and_locks_on_the_primary()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous: false);
        var standbyFirst = new NpgsqlConnectionStringBuilder
        {
            Host = $"127.0.0.1:{cluster.Standby.Port},127.0.0.1:{cluster.Primary.Port}",
            Username = "postgres",
            Password = "postgres",
            Database = "receiver_standby_first",
        }.ConnectionString;
        await using var app = ReceiverApp.With(platform.Settings(), standbyFirst);
        await app.InitializeAsync();

        var body = ApEvents.CustomerUpdated();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(body)).StatusCode);
        var started = await app.CreateQueryClient().PostAsync("/reconciliation/run", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await app.Services.GetRequiredService<ReconciliationRunner>().Current.WaitAsync(TimeSpan.FromMinutes(1));

        await using var primary = new NpgsqlConnection(cluster.Primary.ConnectionString("receiver_standby_first"));
        await primary.OpenAsync();
        Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM events WHERE id = $1", primary) { Parameters = { new() { Value = (string)body["id"]! } } }.ExecuteScalarAsync());
        Assert.Equal("succeeded", await new NpgsqlCommand("SELECT status FROM reconciliation_runs", primary).ExecuteScalarAsync());
    }

    /// <summary>
    /// What a host taken for the primary answers when it refuses writes (25006: a standby not yet promoted, or an old
    /// primary come back as a standby; here a primary set read-only): 503 with Retry-After, never a 500, and 200 to
    /// AP's retry once it takes writes again.
    /// </summary>
    [Fact]
    public async Task A_primary_that_refuses_writes_is_answered_503_with_Retry_After_until_it_takes_them_again()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(Settings, cluster.ConnectionString("receiver_read_only"));
        await app.InitializeAsync();

        await SetReadOnlyAsync(cluster, true);
        // Each session takes the new default at its next statement after the reload: the first events may still pass.
        HttpResponseMessage? refused = null;
        JsonNode? body = null;
        await Eventually.HoldsAsync(async () =>
        {
            body = ApEvents.CustomerUpdated();
            refused = await app.CreateApClient().PostEventAsync(body);
            Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            return refused.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "writes were not refused");
        Assert.NotNull(refused!.Headers.RetryAfter);

        await SetReadOnlyAsync(cluster, false);
        await Eventually.HoldsAsync(async () => (await app.CreateApClient().PostEventAsync(body!)).StatusCode == HttpStatusCode.OK, "writes were not taken again");
        Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)body!["id"]!));
    }

    private static async Task SetReadOnlyAsync(PrivateCluster cluster, bool readOnly)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await connection.OpenAsync();
        // One statement each: ALTER SYSTEM runs outside any transaction block, and this session must be able to write.
        await new NpgsqlCommand("SET default_transaction_read_only = off", connection).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"ALTER SYSTEM SET default_transaction_read_only = {(readOnly ? "on" : "off")}", connection).ExecuteNonQueryAsync();
        await new NpgsqlCommand("SELECT pg_reload_conf()", connection).ExecuteNonQueryAsync();
    }

    private void Report(string scenario, ApLoad load, TimeSpan killed, TimeSpan promoted)
    {
        var firstAcknowledged = load.FirstAcknowledgedSentAfter(killed);
        output.WriteLine($"[figures] {scenario}: killed at {killed.TotalSeconds:0.00} s, promoted {(promoted - killed).TotalSeconds:0.00} s later; " +
                         $"first 200 of a request sent after the kill {(firstAcknowledged - killed).TotalSeconds:0.00} s after the kill " +
                         $"({(firstAcknowledged - promoted).TotalSeconds:0.00} s after the promotion); " +
                         $"answered 503: {load.Count(HttpStatusCode.ServiceUnavailable, TimeSpan.Zero, TimeSpan.MaxValue)} requests in all, " +
                         $"{load.Count(HttpStatusCode.ServiceUnavailable, killed, TimeSpan.MaxValue)} of them sent after the kill");
    }

    private static List<string> Snapshot(List<string> seen)
    {
        lock (seen) return [.. seen];
    }

    private static async Task<List<(long Sequence, string Id)>> StoredAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var stored = new List<(long, string)>();
        await using var reader = await new NpgsqlCommand("SELECT seq, id FROM events ORDER BY seq", connection).ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored.Add((reader.GetInt64(0), reader.GetString(1)));
        return stored;
    }

    private static async Task<long> NewestSequenceAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return (long)(await new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM event_ids", connection).ExecuteScalarAsync())!;
    }

    /// <summary>The whole feed, as a consumer reading from the start sees it now.</summary>
    private static async Task<List<(long Sequence, string Id)>> FeedFromStartAsync(HttpClient query)
    {
        var fed = new List<(long, string)>();
        for (long last = 0; ;)
        {
            var page = await query.GetJsonAsync($"/events?last_sequence_number={last}&limit=250&wait=0");
            var data = page["data"]!.AsArray();
            if (data.Count == 0) return fed;
            fed.AddRange(data.Select(e => ((long)e!["sequence_number"]!, (string)e["id"]!)));
            last = (long)page["last_sequence_number"]!;
        }
    }

    /// <summary>
    /// Senders that behave as AP's event processor does: one event at a time each, sent again after any answer but
    /// 200 until it is answered 200 (AP backs off from a second; here a tenth, to keep the test short).
    /// </summary>
    private sealed class ApLoad(ReceiverApp app)
    {
        private sealed record Attempt(string Id, HttpStatusCode? Status, bool RetryAfter, TimeSpan Sent, TimeSpan Answered);

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly ConcurrentQueue<Attempt> _attempts = new();

        public TimeSpan Now => _clock.Elapsed;

        public async Task RunAsync(int senders, CancellationToken stop) =>
            await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    JsonNode body = i % 2 == 0 ? ApEvents.QuoteCreated() : ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
                    while (!stop.IsCancellationRequested && !await SendAsync(body)) await Task.Delay(100);
                }
            })));

        private async Task<bool> SendAsync(JsonNode body)
        {
            var sent = Now;
            HttpStatusCode? status = null;
            var retryAfter = false;
            try
            {
                // A client per attempt: AP mints a token for each, and its tokens live 30 s.
                using var client = app.CreateApClient();
                using var response = await client.PostEventAsync(body);
                status = response.StatusCode;
                retryAfter = response.Headers.RetryAfter is not null;
            }
            catch (HttpRequestException)
            {
            }
            _attempts.Enqueue(new Attempt((string)body["id"]!, status, retryAfter, sent, Now));
            return status == HttpStatusCode.OK;
        }

        public async Task AcknowledgedAsync(int count) =>
            await Eventually.HoldsAsync(() => _attempts.Count(a => a.Status == HttpStatusCode.OK) >= count, $"fewer than {count} events were acknowledged", TimeSpan.FromSeconds(90));

        public List<string> Acknowledged => [.. _attempts.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.Id).Distinct()];

        public int AcknowledgedSentAfter(TimeSpan instant) => _attempts.Count(a => a.Status == HttpStatusCode.OK && a.Sent > instant);

        public int AnsweredSentAfter(TimeSpan instant) => _attempts.Count(a => a.Sent > instant);

        /// <summary>Answers with <paramref name="status"/> to requests sent between the two instants.</summary>
        public int Count(HttpStatusCode status, TimeSpan from, TimeSpan to) => _attempts.Count(a => a.Status == status && a.Sent > from && a.Sent <= to);

        /// <summary>Requests both sent and answered 200 between the two instants.</summary>
        public int AcknowledgedWhile(TimeSpan from, TimeSpan to) =>
            _attempts.Count(a => a.Status == HttpStatusCode.OK && a.Sent > from && a.Answered < to);

        /// <summary>When the first request sent after <paramref name="instant"/> was answered 200: it could only be stored after it.</summary>
        public TimeSpan FirstAcknowledgedSentAfter(TimeSpan instant) =>
            _attempts.Where(a => a.Status == HttpStatusCode.OK && a.Sent > instant).Min(a => a.Answered);

        public bool FirstSentAfter(string id, TimeSpan instant) => _attempts.Where(a => a.Id == id).Min(a => a.Sent) > instant;

        public void AssertOnly200Or503WithRetryAfter()
        {
            Assert.All(_attempts, a => Assert.Contains(a.Status, new HttpStatusCode?[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
            Assert.All(_attempts.Where(a => a.Status == HttpStatusCode.ServiceUnavailable), a => Assert.True(a.RetryAfter, "a 503 without Retry-After"));
        }
    }
}
