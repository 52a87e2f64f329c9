using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Reconciliation;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Reconciliation;

/// <summary>
/// Reconciliation against a fake of AP's Platform API over real HTTP: gaps AP never delivered are closed through the
/// same exactly-once path as AP's events, newer state is never overwritten, and a broken Platform API is recorded
/// and harmless.
/// </summary>
public sealed class ReconciliationTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    /// <summary>A transaction as both AP's events and its Platform API carry it, created <paramref name="age"/> ago.</summary>
    private static JsonObject Transaction(JsonObject shape, TimeSpan age, TimeSpan? updatedAfter = null, string? status = null)
    {
        var started = DateTimeOffset.UtcNow - age;
        shape["started_at"] = ApEvents.Timestamp(started);
        shape["updated_at"] = ApEvents.Timestamp(started + (updatedAfter ?? TimeSpan.Zero));
        if (status is not null) shape["status"] = status;
        return shape;
    }

    private static JsonObject Updated(JsonObject transaction, TimeSpan later, string status)
    {
        var copy = (JsonObject)transaction.DeepClone();
        copy["status"] = status;
        copy["updated_at"] = ApEvents.Timestamp(DateTimeOffset.Parse((string)transaction["updated_at"]!) + later);
        copy["message"] = $"now {status}";
        return copy;
    }

    /// <summary>Starts a run through the API, waits for it to end, and answers its record.</summary>
    private static async Task<JsonNode> RunAsync(ReceiverApp app)
    {
        var query = app.CreateQueryClient();
        var response = await query.PostAsync("/reconciliation/run", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /reconciliation/run: {(int)response.StatusCode} {text}");
        var started = JsonNode.Parse(text)!;
        Assert.Equal("running", (string?)started["status"]);
        Assert.Equal($"/reconciliation/runs/{(long)started["id"]!}", response.Headers.Location?.OriginalString);

        await app.Services.GetRequiredService<ReconciliationRunner>().Current.WaitAsync(RunTimeout);
        return await query.GetJsonAsync($"/reconciliation/runs/{(long)started["id"]!}");
    }

    private static async Task PostEventsAsync(ReceiverApp app, params JsonObject[] events)
    {
        var ap = app.CreateApClient();
        foreach (var body in events) Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(body)).StatusCode);
    }

    private static string[] Errors(JsonNode run) => [.. run["errors"]!.AsArray().Select(e => (string)e!)];

    [Fact]
    public async Task A_transaction_AP_never_delivered_is_recovered_as_a_reconciliation_event_in_state_timeline_and_feed()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var missing = platform.Put(Transaction(ApEvents.Sep24DepositCompleted(), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30), "completed"));
        await using var app = ReceiverApp.With(platform.Settings());
        var id = (string)missing["id"]!;
        var run = await RunAsync(app);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal("manual", (string?)run["trigger"]);
        Assert.Equal(1, (int)run["gaps_closed"]!);
        Assert.Equal(1, (int)run["transactions_checked"]!);
        Assert.Empty(Errors(run));
        Assert.NotNull((string?)run["finished_at"]);
        // Counted as the run ends, which may be just after its record says so.
        var metrics = await Scrape.UntilAsync(app.CreateClient(), s => s.Value("receiver_reconciliation_runs_total") > 0);
        Assert.Equal(1, metrics.Value("receiver_reconciliation_gaps_closed_total"));
        Assert.Equal(1, metrics.Value("receiver_reconciliation_transactions_checked_total"));
        Assert.Equal(1, metrics.Value("receiver_reconciliation_runs_total", ("status", "succeeded")));

        var query = app.CreateQueryClient();
        Assert.True(JsonNode.DeepEquals(missing, await query.GetJsonAsync($"/transactions/{id}")));
        var entry = Assert.Single((await query.GetJsonAsync($"/transactions/{id}/events"))["data"]!.AsArray())!;
        Assert.Equal("reconciliation", (string?)entry["source"]);
        Assert.Equal("transaction_created", (string?)entry["type"]);
        Assert.Equal("completed", (string?)entry["status"]);

        var feed = Assert.Single((await query.GetJsonAsync($"/events?transaction_id={id}&wait=0"))["data"]!.AsArray())!;
        Assert.Equal("reconciliation", (string?)feed["source"]);
        Assert.Equal((string?)entry["id"], (string?)feed["id"]);
        Assert.True(JsonNode.DeepEquals(missing, feed["payload"]!["transaction"]));

        // AP's own deliveries say so too, even one whose body claims otherwise: the source is where it came in.
        var delivered = ApEvents.TransactionEvent("transaction_created", Transaction(ApEvents.Sep31Created(), TimeSpan.FromMinutes(5)));
        delivered["source"] = "reconciliation";
        await PostEventsAsync(app, delivered);
        Assert.Equal("ap", (string?)(await query.GetJsonAsync($"/event/{(string)delivered["id"]!}"))["source"]);

        var list = await query.GetJsonAsync("/reconciliation/runs");
        Assert.True((bool)list["enabled"]!);
        Assert.Equal((long)run["id"]!, (long)list["data"]![0]!["id"]!);
    }

    [Fact]
    public async Task A_stale_transaction_is_brought_forward_and_one_we_hold_newer_or_equal_is_left_alone()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        await using var app = ReceiverApp.With(platform.Settings());
        var stale = Transaction(ApEvents.Sep6Deposit(), TimeSpan.FromHours(3), status: "incomplete");
        var newer = Transaction(ApEvents.Sep24WithdrawalCreated(), TimeSpan.FromHours(3), status: "incomplete");
        // Nine fractional digits, 789 ns below the microsecond: AP keeps it rounded up, which must not look newer than ours.
        var same = Transaction(ApEvents.Sep31Created(), TimeSpan.FromHours(3));
        same["updated_at"] = ((string)same["updated_at"]!).TrimEnd('Z') + "789Z";
        await PostEventsAsync(app,
            ApEvents.TransactionEvent("transaction_created", stale),
            ApEvents.TransactionEvent("transaction_status_changed", Updated(newer, TimeSpan.FromMinutes(10), "pending_anchor")),
            ApEvents.TransactionEvent("transaction_created", same));
        platform.Put(Updated(stale, TimeSpan.FromMinutes(20), "pending_anchor"));
        platform.Put(newer);
        platform.Put(same);

        var run = await RunAsync(app);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal(3, (int)run["transactions_checked"]!);
        Assert.Equal(1, (int)run["gaps_closed"]!);
        var query = app.CreateQueryClient();
        var brought = await query.GetJsonAsync($"/transactions/{(string)stale["id"]!}");
        Assert.Equal("pending_anchor", (string?)brought["status"]);
        var timeline = (await query.GetJsonAsync($"/transactions/{(string)stale["id"]!}/events"))["data"]!.AsArray();
        Assert.Equal(["ap", "reconciliation"], timeline.Select(e => (string?)e!["source"]));
        Assert.Equal(["transaction_created", "transaction_status_changed"], timeline.Select(e => (string?)e!["type"]));

        Assert.Equal("pending_anchor", (string?)(await query.GetJsonAsync($"/transactions/{(string)newer["id"]!}"))["status"]);
        Assert.Single((await query.GetJsonAsync($"/transactions/{(string)newer["id"]!}/events"))["data"]!.AsArray());
        Assert.Single((await query.GetJsonAsync($"/transactions/{(string)same["id"]!}/events"))["data"]!.AsArray());

        // A second run finds nothing left to do.
        var again = await RunAsync(app);
        Assert.Equal(0, (int)again["gaps_closed"]!);
        Assert.Equal(4, await app.CountAsync("events"));
    }

    [Fact]
    public async Task Every_page_within_the_lookback_is_read_and_open_transactions_older_than_it_are_asked_for_by_id()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var settings = platform.Settings();
        settings["Reconciliation:PageSize"] = "2";
        settings["Reconciliation:Lookback"] = "1.00:00:00";
        await using var app = ReceiverApp.With(settings);
        var recent = Enumerable.Range(1, 5).Select(i => platform.Put(Transaction(ApEvents.Sep31Created(), TimeSpan.FromHours(i)))).ToList();
        var tooOld = Transaction(ApEvents.Sep31Created(), TimeSpan.FromDays(3));
        platform.Put(tooOld);
        // Created before the window but still open with us: AP completed it meanwhile.
        var openAndOld = Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromDays(30), status: "pending_user_transfer_start");
        await PostEventsAsync(app, ApEvents.TransactionEvent("transaction_created", openAndOld));
        platform.Put(Updated(openAndOld, TimeSpan.FromDays(1), "completed"));

        var run = await RunAsync(app);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal(6, (int)run["gaps_closed"]!);
        var query = app.CreateQueryClient();
        foreach (var transaction in recent)
            Assert.True(JsonNode.DeepEquals(transaction, await query.GetJsonAsync($"/transactions/{(string)transaction["id"]!}")));
        await query.GetJsonAsync($"/transactions/{(string)tooOld["id"]!}", HttpStatusCode.NotFound);
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{(string)openAndOld["id"]!}"))["status"]);

        var sep31Pages = platform.Requests.Where(r => r.StartsWith("/transactions?sep=31", StringComparison.Ordinal)).ToList();
        Assert.Equal(["0", "1", "2"], sep31Pages.Select(r => System.Web.HttpUtility.ParseQueryString(r.Split('?')[1])["page_number"]));
        Assert.Contains($"/transactions/{(string)openAndOld["id"]!}", platform.Requests);
    }

    /// <summary>
    /// AP publishes <c>updated_at</c> to the nanosecond (<c>Instant.now()</c> on JDK 17; GsonUtils' ISO_INSTANT) and
    /// its Platform API answers it as its database keeps it, rounded half up to the microsecond (pgjdbc's
    /// TimestampUtils.toString): the update an event carried is no gap however it rounds, and an update AP made later
    /// within the same microsecond's rounding still is.
    /// </summary>
    [Fact]
    public async Task An_update_AP_stored_rounded_to_the_microsecond_is_no_gap_and_a_later_one_within_it_still_is()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        await using var app = ReceiverApp.With(platform.Settings());
        var now = DateTimeOffset.UtcNow.AddHours(-1);
        var second = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        string At(DateTimeOffset whole, string nanoseconds) => $"{ApEvents.Timestamp(whole, 0).TrimEnd('Z')}.{nanoseconds}Z";
        JsonObject UpdatedAt(string updatedAt, string status = "incomplete")
        {
            var transaction = Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(2), status: status);
            transaction["updated_at"] = updatedAt;
            return transaction;
        }
        var delivered = new[]
        {
            UpdatedAt(At(second, "123456499")), // rounds down
            UpdatedAt(At(second, "123456500")), // exactly half: up
            UpdatedAt(At(second, "123456501")), // up
            UpdatedAt(At(second.AddSeconds(-1), "999999700")), // up, into the next second
        };
        var movedOn = UpdatedAt(At(second, "123456400"));
        await PostEventsAsync(app, [.. delivered.Append(movedOn).Select(t => ApEvents.TransactionEvent("transaction_created", t))]);
        var served = delivered.Select(platform.Put).ToList();
        // AP's copy of the last is a whole second, which ISO_INSTANT writes without a fraction.
        Assert.Equal(ApEvents.Timestamp(second, 0), (string?)served[^1]["updated_at"]);
        // 200 ns after the delivered update AP changed it again: stored a microsecond later than that update.
        var later = (JsonObject)movedOn.DeepClone();
        later["updated_at"] = At(second, "123456600");
        later["status"] = "pending_anchor";
        platform.Put(later);

        var run = await RunAsync(app);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal(5, (int)run["transactions_checked"]!);
        Assert.Equal(1, (int)run["gaps_closed"]!);
        var query = app.CreateQueryClient();
        foreach (var transaction in delivered)
            Assert.Single((await query.GetJsonAsync($"/transactions/{(string)transaction["id"]!}/events"))["data"]!.AsArray());
        Assert.Equal("pending_anchor", (string?)(await query.GetJsonAsync($"/transactions/{(string)movedOn["id"]!}"))["status"]);
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM events WHERE source = 'reconciliation'"));

        var again = await RunAsync(app);
        Assert.Equal(0, (int)again["gaps_closed"]!);
    }

    /// <summary>
    /// Over REST (GET /transactions) and over JSON-RPC (get_transactions, get_transaction), against a Platform API
    /// that answers as AP's: ties in started_at come by id ascending, the last page is the short one, and a transaction
    /// AP does not know is reported as each protocol says so (404; JSON-RPC error -32603 with HTTP 200).
    /// </summary>
    [Theory]
    [InlineData("rest")]
    [InlineData("rpc")]
    public async Task Each_protocol_reads_every_page_through_ties_and_asks_AP_for_open_transactions_by_id(string protocol)
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var settings = platform.Settings(protocol: protocol);
        settings["Reconciliation:PageSize"] = "2";
        await using var app = ReceiverApp.With(settings);
        var created = ApEvents.Timestamp(DateTimeOffset.UtcNow.AddHours(-1));
        var tied = Enumerable.Range(0, 5).Select(_ =>
        {
            var transaction = ApEvents.Sep6Deposit();
            transaction["started_at"] = created;
            transaction["updated_at"] = created;
            return platform.Put(transaction);
        }).ToList();
        // Open with us and created before the look-back: AP completed one meanwhile and never heard of the other.
        var openAndOld = Transaction(ApEvents.Sep6Deposit(), TimeSpan.FromDays(30), status: "pending_user_transfer_start");
        var unknownToAp = Transaction(ApEvents.Sep6Deposit(), TimeSpan.FromDays(30), status: "pending_user_transfer_start");
        await PostEventsAsync(app,
            ApEvents.TransactionEvent("transaction_created", openAndOld), ApEvents.TransactionEvent("transaction_created", unknownToAp));
        platform.Put(Updated(openAndOld, TimeSpan.FromDays(1), "completed"));
        var openId = (string)openAndOld["id"]!;
        var unknownId = (string)unknownToAp["id"]!;

        var run = await RunAsync(app);

        Assert.Equal("failed", (string?)run["status"]);
        Assert.Equal(6, (int)run["gaps_closed"]!);
        var error = Assert.Single(Errors(run));
        Assert.StartsWith($"transaction {unknownId}: ", error);
        Assert.Contains(protocol == "rest" ? "404" : $"JSON-RPC error -32603: transaction (id={unknownId}) is not found", error);
        var query = app.CreateQueryClient();
        foreach (var transaction in tied)
            Assert.True(JsonNode.DeepEquals(transaction, await query.GetJsonAsync($"/transactions/{(string)transaction["id"]!}")));
        Assert.Equal("completed", (string?)(await query.GetJsonAsync($"/transactions/{openId}"))["status"]);

        if (protocol == "rest")
        {
            Assert.Empty(platform.RpcCalls);
            var pages = platform.Requests.Where(r => r.StartsWith("/transactions?sep=6&", StringComparison.Ordinal)).ToList();
            Assert.Equal(["0", "1", "2"], pages.Select(r => System.Web.HttpUtility.ParseQueryString(r.Split('?')[1])["page_number"]));
            Assert.Contains($"/transactions/{openId}", platform.Requests);
            return;
        }
        Assert.All(platform.Requests, path => Assert.Equal("/", path));
        Assert.All(platform.RpcCalls, call => Assert.Equal("2.0", (string?)call["jsonrpc"]));
        var listings = platform.RpcCalls.Where(c => (string?)c["method"] == "get_transactions" && (string?)c["params"]!["sep"] == "6").ToList();
        Assert.Equal([0, 1, 2], listings.Select(c => (int)c["params"]!["page_number"]!));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"sep": "6", "order_by": "CREATED_AT", "order": "DESC", "page_number": 0, "page_size": 2}"""), listings[0]["params"]));
        Assert.Contains(platform.RpcCalls, c => (string?)c["method"] == "get_transaction" && (string?)c["params"]!["transaction_id"] == openId);
    }

    /// <summary>AP 2.x serves JSON-RPC too, but without get_transactions: HTTP 200 with error -32601 (RpcMethod.from at 2.10.2).</summary>
    [Fact]
    public async Task Over_JSON_RPC_an_AP_2x_answers_method_not_found_with_HTTP_200_and_the_run_says_to_use_REST()
    {
        await using var platform = await FakePlatformApi.StartAsync(jsonRpcReads: false);
        platform.Put(Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(1)));
        await using var app = ReceiverApp.With(platform.Settings(protocol: "rpc"));

        var run = await RunAsync(app);

        Assert.Equal("failed", (string?)run["status"]);
        Assert.Equal(3, (int)run["error_count"]!); // one per SEP
        Assert.All(Errors(run), error =>
        {
            Assert.Contains("JSON-RPC error -32601: No matching RPC method[get_transactions]", error);
            Assert.Contains("Reconciliation:Protocol=rest", error);
        });
        Assert.Equal(0, await app.CountAsync("events"));
    }

    [Fact]
    public async Task Two_instances_on_one_database_run_one_reconciliation_at_a_time()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var transaction = Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(1));
        platform.Put(transaction);
        await using var first = ReceiverApp.With(platform.Settings());
        await first.InitializeAsync();
        await using var second = ReceiverApp.Beside(first, platform.Settings());
        platform.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.Reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var started = await first.CreateQueryClient().PostAsync("/reconciliation/run", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await platform.Reached.Task.WaitAsync(RunTimeout);

        foreach (var app in new[] { second, first })
        {
            var refused = await app.CreateQueryClient().PostAsync("/reconciliation/run", null);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("already in progress", await refused.Content.ReadAsStringAsync());
        }

        platform.Gate.SetResult();
        await first.Services.GetRequiredService<ReconciliationRunner>().Current.WaitAsync(RunTimeout);
        var secondRun = await RunAsync(second);

        Assert.Equal("succeeded", (string?)secondRun["status"]);
        Assert.Equal(0, (int)secondRun["gaps_closed"]!); // the first run closed it
        Assert.Equal(1, await first.CountAsync("events"));
        Assert.Equal(1, platform.MaxInFlight);
        var runs = (await second.CreateQueryClient().GetJsonAsync("/reconciliation/runs"))["data"]!.AsArray();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal("succeeded", (string?)r!["status"]));
    }

    [Fact]
    public async Task A_Platform_API_that_is_down_is_recorded_and_ingest_goes_on()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Reconciliation:PlatformApiBaseUrl"] = FakePlatformApi.Down(),
            ["Reconciliation:Auth:Type"] = "none",
            ["Reconciliation:Interval"] = "00:00:00",
        };
        await using var app = ReceiverApp.With(settings);
        var run = await RunAsync(app);

        Assert.Equal("failed", (string?)run["status"]);
        Assert.Equal(0, (int)run["gaps_closed"]!);
        var error = Assert.Single(Errors(run));
        Assert.Contains("could not be reached", error);
        var metrics = await Scrape.UntilAsync(app.CreateClient(), s => s.Value("receiver_reconciliation_runs_total") > 0);
        Assert.Equal(1, metrics.Value("receiver_reconciliation_errors_total"));
        Assert.Equal(1, metrics.Value("receiver_reconciliation_runs_total", ("status", "failed")));
        var delivered = ApEvents.TransactionEvent("transaction_created", Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromMinutes(1)));
        await PostEventsAsync(app, delivered);
        Assert.Equal(1, await app.CountAsync("events"));
    }

    [Fact]
    public async Task A_Platform_API_answering_garbage_is_recorded_and_nothing_is_stored()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        platform.Put(Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(1)));
        platform.AnswersGarbage = true;
        await using var app = ReceiverApp.With(platform.Settings());

        var run = await RunAsync(app);

        Assert.Equal("failed", (string?)run["status"]);
        Assert.Equal(3, (int)run["error_count"]!); // one per SEP
        Assert.All(Errors(run), error => Assert.Contains("not JSON", error));
        Assert.Equal(0, await app.CountAsync("events"));
        Assert.Equal(0, await app.CountAsync("rejected_events"));
    }

    [Fact]
    public async Task An_invalid_snapshot_is_reported_and_not_stored_while_the_valid_ones_are()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var valid = platform.Put(Transaction(ApEvents.Sep31Created(), TimeSpan.FromHours(1)));
        var invalid = platform.Put(Transaction(ApEvents.Sep31Created(), TimeSpan.FromHours(2), status: "vanished"));
        platform.Put(JsonNode.Parse("""{"id": "no-start", "sep": "31"}""")!.AsObject());
        await using var app = ReceiverApp.With(platform.Settings());

        var run = await RunAsync(app);

        Assert.Equal("failed", (string?)run["status"]);
        Assert.Equal(1, (int)run["gaps_closed"]!);
        Assert.Equal(3, (int)run["transactions_checked"]!);
        var errors = Errors(run);
        Assert.Equal(2, errors.Length);
        Assert.Contains(errors, e => e.Contains($"transaction {(string)invalid["id"]!}") && e.Contains("payload.transaction.status"));
        Assert.Contains(errors, e => e.Contains("transaction no-start: no RFC 3339 \"started_at\""));
        var query = app.CreateQueryClient();
        Assert.True(JsonNode.DeepEquals(valid, await query.GetJsonAsync($"/transactions/{(string)valid["id"]!}")));
        await query.GetJsonAsync($"/transactions/{(string)invalid["id"]!}", HttpStatusCode.NotFound);
        Assert.Equal(0, await app.CountAsync("rejected_events"));
    }

    [Fact]
    public async Task Credentials_are_AP_platform_credentials_and_a_refusal_is_recorded()
    {
        await using var platform = await FakePlatformApi.StartAsync("api_key");
        platform.Put(Transaction(ApEvents.Sep6Deposit(), TimeSpan.FromHours(1)));
        await using (var app = ReceiverApp.With(platform.Settings()))
        {
            var run = await RunAsync(app);
            Assert.Equal("succeeded", (string?)run["status"]);
            Assert.Equal(1, (int)run["gaps_closed"]!);
        }
        Assert.Equal(0, platform.Refused);

        await using (var wrong = ReceiverApp.With(platform.Settings(secret: "not-the-platform-secret")))
        {
            var run = await RunAsync(wrong);
            Assert.Equal("failed", (string?)run["status"]);
            Assert.Contains("was refused (403)", Errors(run)[0]);
            Assert.Equal(0, await wrong.CountAsync("events"));
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("rpc")]
    public async Task A_Platform_API_failing_for_a_moment_is_retried(string protocol)
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var transaction = Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(1));
        platform.Put(transaction);
        platform.FailNext(2);
        await using var app = ReceiverApp.With(platform.Settings(protocol: protocol));

        var run = await RunAsync(app);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal(1, (int)run["gaps_closed"]!);
    }

    [Fact]
    public async Task Without_a_Platform_API_reconciliation_is_off_and_says_so()
    {
        await using var app = new ReceiverApp();
        var query = app.CreateQueryClient();

        var page = await query.GetJsonAsync("/reconciliation/runs");
        Assert.False((bool)page["enabled"]!);
        Assert.Empty(page["data"]!.AsArray());
        var response = await query.PostAsync("/reconciliation/run", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Reconciliation:PlatformApiBaseUrl", await response.Content.ReadAsStringAsync());

        await query.GetJsonAsync("/reconciliation/runs/12345", HttpStatusCode.NotFound);
        await query.GetJsonAsync("/reconciliation/runs?limit=0", HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsync("/reconciliation/run", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateApClient().GetAsync("/reconciliation/runs")).StatusCode);
    }

    [Fact]
    public async Task On_a_schedule_runs_start_by_themselves()
    {
        await using var platform = await FakePlatformApi.StartAsync();
        var transaction = Transaction(ApEvents.Sep24DepositCreated(), TimeSpan.FromHours(1));
        platform.Put(transaction);
        var settings = platform.Settings();
        settings["Reconciliation:Interval"] = "00:00:01";
        await using var app = ReceiverApp.With(settings);
        var query = app.CreateQueryClient();

        await Eventually.HoldsAsync(
            async () => await app.ScalarAsync<long>("SELECT count(*) FROM reconciliation_runs WHERE trigger = 'schedule' AND status = 'succeeded'") > 0,
            "no scheduled run finished", RunTimeout);

        var latest = (await query.GetJsonAsync("/reconciliation/runs"))["data"]![0]!;
        Assert.Equal("schedule", (string?)latest["trigger"]);
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT sum(gaps_closed) FROM reconciliation_runs"));
        Assert.Equal(HttpStatusCode.OK, (await query.GetAsync($"/transactions/{(string)transaction["id"]!}")).StatusCode);
    }
}
