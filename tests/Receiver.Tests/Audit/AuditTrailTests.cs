using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Receiver.Audit;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Audit;

/// <summary>
/// The audit trail through HTTP: operate actions recorded before they are answered, reads with read:personal recorded
/// in the background, GET /audit for operate credentials only, and the trail kept for Retention:AuditRecords.
/// </summary>
public sealed class AuditTrailTests
{
    private const string OnCallKey = "audit-on-call-key-0123456789";
    private const string AuditorKey = "audit-auditor-key-0123456789";
    private const string ComplianceKey = "audit-compliance-key-0123456789";
    private const string DashboardKey = "audit-dashboard-key-0123456789";

    /// <summary>How the trail names the legacy key <see cref="ReceiverApp.QueryKey"/>, which holds every scope.</summary>
    private const string LegacyCaller = "QueryApi:Auth:ApiKey:Keys:0";

    private static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = QueryClients.Settings(
            ("on-call", OnCallKey, "operate"), ("auditor", AuditorKey, "operate"),
            ("compliance", ComplianceKey, "read read:personal"), ("dashboard", DashboardKey, "read"));
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return settings;
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task<JsonArray> AuditAsync(WebApplicationFactory<Program> app, string query) =>
        (await Client(app, AuditorKey).GetJsonAsync("/audit" + query))["data"]!.AsArray();

    private static string[] Scopes(JsonNode record) => [.. record["scopes"]!.AsArray().Select(scope => (string)scope!)];

    /// <summary>Answered 409 while reconciliation is not configured: an action that changes nothing, as often as needed.</summary>
    private static async Task RunReconciliationAsync(WebApplicationFactory<Program> app, string key) =>
        Assert.Equal(HttpStatusCode.Conflict, (await Client(app, key).PostAsync("/reconciliation/run", null)).StatusCode);

    [Fact]
    public async Task An_operate_action_is_recorded_with_who_what_when_and_its_status_before_it_is_answered()
    {
        await using var app = ReceiverApp.With(Settings());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.CreateApClient().PostEventAsync("{\"id\":\"audit-bad\",\"type\":\"transaction_created\"}")).StatusCode);
        var rejected = await app.ScalarAsync<long>("SELECT id FROM rejected_events");
        var before = DateTimeOffset.UtcNow;

        var replay = await Client(app, OnCallKey).PostAsync($"/rejected-events/{rejected}/replay?ticket=OPS-42", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        // Committed before the answer: in the table at once, with no flush to wait for.
        Assert.Equal(1, await app.CountAsync("audit_records"));
        await RunReconciliationAsync(app, OnCallKey);
        Assert.Equal(2, await app.CountAsync("audit_records"));
        var after = DateTimeOffset.UtcNow;

        var records = await AuditAsync(app, "?caller=on-call");
        Assert.Equal(2, records.Count);
        var (run, replayed) = (records[0]!, records[1]!);
        Assert.Equal(
            ("on-call", "POST", "/rejected-events/{id:long}/replay", $"/rejected-events/{rejected}/replay?ticket=OPS-42", 200),
            ((string?)replayed["caller"], (string?)replayed["method"], (string?)replayed["route"], (string?)replayed["target"], (int)replayed["status"]!));
        Assert.Equal(["operate"], Scopes(replayed));
        Assert.InRange(DateTimeOffset.Parse((string)replayed["requested_at"]!), before.AddMilliseconds(-1), after);
        Assert.True(replayed.AsObject().ContainsKey("client_address")); // null here: the test server has no remote address
        Assert.Equal(("POST", "/reconciliation/run", 409), ((string?)run["method"], (string?)run["route"], (int)run["status"]!));
        Assert.True((long)run["id"]! > (long)replayed["id"]!);
        // The key itself is never recorded.
        Assert.Equal(0, await app.CountAsync("audit_records", "caller = $1 OR target LIKE '%' || $1 || '%'", OnCallKey));
    }

    /// <summary>A token names its caller by its subject, whatever it holds: a NUL, which PostgreSQL's text cannot, is replaced.</summary>
    [Fact]
    public async Task A_tokens_caller_is_its_subject_made_storable()
    {
        const string signingKey = "audit-signing-key-0123456789-abcdefgh";
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["QueryApi:Auth:Type"] = "jwt",
            ["QueryApi:Auth:Jwt:SigningKey"] = signingKey,
            ["QueryApi:Auth:Jwt:Issuer"] = "https://issuer.example",
            ["QueryApi:Auth:Jwt:Audience"] = "receiver",
        });
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.example",
            Audience = "receiver",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "analyst\u0000@example.com", ["scope"] = "operate" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("/reconciliation/run", null)).StatusCode);
        Assert.Equal("analyst\uFFFD@example.com", await app.ScalarAsync<string>("SELECT caller FROM audit_records"));
    }

    [Fact]
    public async Task Reads_with_read_personal_are_recorded_in_the_background_and_reads_of_a_read_only_key_are_not()
    {
        await using var app = ReceiverApp.With(Settings());
        var transaction = ApEvents.Sep24DepositCreated();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
        var id = (string)transaction["id"]!;

        await Client(app, DashboardKey).GetJsonAsync($"/transactions/{id}");
        await Client(app, ComplianceKey).GetJsonAsync($"/transactions/{id}");
        await Client(app, ComplianceKey).GetJsonAsync("/events?wait=0");
        await app.CreateQueryClient().GetJsonAsync($"/transactions/{id}/events");
        // An endpoint that needs read:personal itself (a person's transactions) is recorded as well.
        var customerUpdated = ApEvents.CustomerUpdated();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(customerUpdated)).StatusCode);
        var customer = (string)customerUpdated["payload"]!["customer"]!["id"]!;
        await Client(app, ComplianceKey).GetJsonAsync($"/customers/{customer}");

        var reads = new JsonArray();
        await Eventually.HoldsAsync(async () => (reads = await AuditAsync(app, "?scope=read:personal")).Count >= 4, "the reads were not recorded");
        Assert.Equal(
            [
                ("compliance", "/customers/{id}", $"/customers/{customer}"),
                (LegacyCaller, "/transactions/{id}/events", $"/transactions/{id}/events"),
                ("compliance", "/events", "/events?wait=0"),
                ("compliance", "/transactions/{id}", $"/transactions/{id}"),
            ],
            reads.Select(read => ((string)read!["caller"]!, (string)read["route"]!, (string)read["target"]!)));
        Assert.All(reads, read =>
        {
            Assert.Equal(["read:personal"], Scopes(read!));
            Assert.Equal(("GET", 200), ((string?)read!["method"], (int)read["status"]!));
        });
        // The read-only key's read was queued before the others, so it would be written by now.
        Assert.Equal(0, await app.CountAsync("audit_records", "caller = 'dashboard'"));
        Assert.True((await Scrape.OfAsync(app.CreateClient())).Value("receiver_audit_records_written_total") >= 4);
    }

    [Fact]
    public async Task A_read_whose_client_goes_away_before_an_answer_is_recorded_as_499()
    {
        await using var app = ReceiverApp.With(Settings());
        using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client(app, ComplianceKey).GetAsync("/events?wait=30", gone.Token));

        var reads = new JsonArray();
        await Eventually.HoldsAsync(async () => (reads = await AuditAsync(app, "?caller=compliance")).Count > 0, "the read was not recorded");
        Assert.Equal(("/events", 499), ((string?)reads.Single()!["route"], (int)reads.Single()!["status"]!));
    }

    /// <summary>Kestrel, unlike the test server, answers nothing to a client that is gone: recorded all the same.</summary>
    [Fact]
    public async Task Over_a_real_connection_a_read_whose_client_goes_away_is_recorded_as_499_with_the_client_address() =>
        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__ApiKey__Keys__0"] = ReceiverApp.QueryKey,
        }, async (_, http) =>
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", ReceiverApp.QueryKey);
            using (var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.GetAsync("/events?wait=30", gone.Token));

            var reads = new JsonArray();
            await Eventually.HoldsAsync(
                async () => (reads = (await http.GetJsonAsync("/audit?scope=read:personal"))["data"]!.AsArray()).Count > 0, "the read was not recorded");
            Assert.Equal(("/events", 499, "127.0.0.1"), ((string?)reads.Single()!["route"], (int)reads.Single()!["status"]!, (string?)reads.Single()!["client_address"]));
        });

    /// <summary>The scrape endpoint may require read, but it serves counts, not data: a legacy key's scrapes are no reads.</summary>
    [Fact]
    public async Task Scrapes_are_not_recorded_even_behind_the_query_credentials()
    {
        await using var app = ReceiverApp.With(Settings(new() { ["Metrics:RequireAuth"] = "true" }));
        var legacy = app.CreateQueryClient();
        Assert.Equal(HttpStatusCode.OK, (await legacy.GetAsync("/metrics")).StatusCode);
        await legacy.GetJsonAsync("/events?wait=0");

        // Queued after the scrape: once it is written, so would the scrape's be.
        await Eventually.HoldsAsync(async () => (await AuditAsync(app, "?scope=read:personal")).Count > 0, "the read was not recorded");
        Assert.Equal(["/events"], (await AuditAsync(app, "?scope=read:personal")).Select(record => (string?)record!["route"]));
    }

    [Fact]
    public async Task The_audit_trail_is_read_with_operate_only()
    {
        await using var app = ReceiverApp.With(Settings());

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(app, DashboardKey).GetAsync("/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(app, ComplianceKey).GetAsync("/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(app, OnCallKey).GetAsync("/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateQueryClient().GetAsync("/audit")).StatusCode);
        // Refused requests did nothing and read nothing: only the two answered ones are recorded.
        Assert.Equal([LegacyCaller, "on-call"], (await AuditAsync(app, "?scope=operate")).Select(record => (string)record!["caller"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_audit_trail_pages_newest_first_or_by_id_from_a_point_and_filters_by_caller_scope_and_time()
    {
        await using var app = ReceiverApp.With(Settings());
        for (var i = 0; i < 3; i++) await RunReconciliationAsync(app, OnCallKey);
        for (var i = 0; i < 2; i++) await RunReconciliationAsync(app, ReceiverApp.QueryKey);
        var auditor = Client(app, AuditorKey);

        var newestFirst = await auditor.WalkAsync("/audit?caller=on-call&limit=2");
        var ids = newestFirst.Select(record => (long)record["id"]!).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.All(newestFirst, record => Assert.Equal("on-call", (string?)record["caller"]));
        Assert.Equal(ids.Order(), (await auditor.WalkAsync("/audit?caller=on-call&after=0&limit=2")).Select(record => (long)record["id"]!));
        Assert.Equal(ids.Order().Skip(1), (await auditor.WalkAsync($"/audit?caller=on-call&after={ids.Min()}")).Select(record => (long)record["id"]!));
        Assert.Equal(2, (await AuditAsync(app, $"?caller={Uri.EscapeDataString(LegacyCaller)}&scope=operate")).Count);
        Assert.Empty(await AuditAsync(app, "?caller=on-call&scope=read:personal"));

        // since is inclusive, until exclusive: the middle record alone.
        var times = newestFirst.Select(record => Uri.EscapeDataString((string)record["requested_at"]!)).ToList();
        var middle = await AuditAsync(app, $"?caller=on-call&since={times[1]}&until={times[0]}");
        Assert.Equal([ids[1]], middle.Select(record => (long)record!["id"]!));

        var bad = await auditor.GetJsonAsync("/audit?scope=read&since=yesterday&limit=0&after=-1&user=on-call", HttpStatusCode.BadRequest);
        Assert.Equal(["after", "limit", "scope", "since", "user"], bad["errors"]!.AsObject().Select(error => error.Key).Order());
        var empty = await auditor.GetJsonAsync($"/audit?since={times[0]}&until={times[0]}", HttpStatusCode.BadRequest);
        Assert.Equal(["until"], empty["errors"]!.AsObject().Select(error => error.Key));
        // A cursor continues only the walk it came from: newest first is not by id from a point.
        var cursor = (string)(await auditor.GetJsonAsync("/audit?caller=on-call&limit=1"))["next_cursor"]!;
        var foreign = await auditor.GetJsonAsync($"/audit?caller=on-call&after=0&limit=1&cursor={Uri.EscapeDataString(cursor)}", HttpStatusCode.BadRequest);
        Assert.Equal(["cursor"], foreign["errors"]!.AsObject().Select(error => error.Key));
    }

    /// <summary>
    /// An insert draws its ids only once it holds the trail's lock, so ids commit in order on every instance and a reader
    /// that keeps the last id misses none: an id drawn by someone else while an insert waits for the lock is lower.
    /// </summary>
    [Fact]
    public async Task A_record_draws_its_id_only_once_it_holds_the_insert_lock()
    {
        await using var app = ReceiverApp.With(Settings());
        _ = app.Server;
        await using var holder = new NpgsqlConnection(app.ConnectionString);
        await holder.OpenAsync();
        await new NpgsqlCommand($"SELECT pg_advisory_lock({AuditStore.InsertLock})", holder).ExecuteNonQueryAsync();

        var action = Client(app, OnCallKey).PostAsync("/reconciliation/run", null);
        await Eventually.HoldsAsync(async () => await app.CountAsync("pg_locks", "locktype = 'advisory' AND NOT granted") > 0,
            "the action's record did not wait for the lock");
        var drawnMeanwhile = await app.ScalarAsync<long>("SELECT nextval(pg_get_serial_sequence('audit_records', 'id'))");
        await new NpgsqlCommand($"SELECT pg_advisory_unlock({AuditStore.InsertLock})", holder).ExecuteNonQueryAsync();

        Assert.Equal(HttpStatusCode.Conflict, (await action).StatusCode);
        Assert.True(await app.ScalarAsync<long>("SELECT id FROM audit_records") > drawnMeanwhile);
    }

    [Fact]
    public async Task Records_older_than_Audit_Retention_are_deleted_and_newer_ones_kept()
    {
        await using var app = ReceiverApp.With(Settings(new() { ["Retention:AuditRecords"] = "7.00:00:00" }));
        _ = app.Server; // its sweep at start done before there is anything to sweep
        // Requests made ten days ago, by a clock set back, and now.
        await using var past = app.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.AddSingleton<TimeProvider>(new SettableClock { Offset = -TimeSpan.FromDays(10) })));
        await RunReconciliationAsync(past, OnCallKey);
        await RunReconciliationAsync(app, ReceiverApp.QueryKey);
        Assert.Equal(1, await app.CountAsync("audit_records", "caller = 'on-call'"));

        // Another instance sweeps as it starts.
        await using var sweeper = app.WithWebHostBuilder(_ => { });
        await Scrape.UntilAsync(sweeper.CreateClient(), scrape => scrape.Value("receiver_audit_records_deleted_total") >= 1);

        Assert.Equal(0, await app.CountAsync("audit_records", "caller = 'on-call'"));
        Assert.Equal(1, await app.CountAsync("audit_records", "caller = $1", LegacyCaller));
    }

    [Fact]
    public async Task A_graceful_shutdown_writes_the_reads_still_queued()
    {
        await using var owner = ReceiverApp.With(Settings());
        await using (var instance = ReceiverApp.Beside(owner, Settings()))
        {
            var compliance = Client(instance, ComplianceKey);
            for (var i = 0; i < 5; i++) await compliance.GetJsonAsync("/events?wait=0");
        }

        Assert.Equal(5, await owner.CountAsync("audit_records", "caller = 'compliance'"));
    }

    [Fact]
    public async Task An_action_whose_record_cannot_be_written_keeps_its_answer_and_the_loss_is_logged_and_counted()
    {
        var logs = new LogCapture();
        await using var app = ReceiverApp.With(Settings(new() { ["Database:Timeout"] = "00:00:01" }));
        await using var capturing = app.WithWebHostBuilder(host => host.ConfigureLogging(logging => logging.AddProvider(logs)));
        _ = capturing.Server; // started, and its table migrated, before it is locked
        await using (await app.LockTableAsync("audit_records"))
        {
            await RunReconciliationAsync(capturing, OnCallKey);
        }

        Assert.Contains(logs.Lines, line => line.Level == LogLevel.Error
                                            && line.Text.Contains("An operate action went unrecorded: POST /reconciliation/run by on-call, answered 409", StringComparison.Ordinal));
        var scrape = await Scrape.OfAsync(capturing.CreateClient());
        Assert.Equal(1, scrape.Value("receiver_audit_records_dropped_total", ("reason", "write_failed")));
        Assert.Equal(0, scrape.Value("receiver_audit_records_dropped_total", ("reason", "queue_full")));
    }

    /// <summary>
    /// PostgreSQL holding the trail's inserts up: reads go on at full speed, their records are dropped once the queue is
    /// full (counted, and logged once), and every record is either written or counted as dropped.
    /// </summary>
    [Fact]
    public async Task Reads_beyond_a_full_queue_are_served_and_their_records_dropped_and_counted()
    {
        const int reads = 9000; // more than the queue and the batch held up in the writer
        var logs = new LogCapture();
        await using var app = ReceiverApp.With(Settings(new() { ["Database:Timeout"] = "00:01:00" }));
        await using var capturing = app.WithWebHostBuilder(host => host.ConfigureLogging(logging => logging.AddProvider(logs)));
        _ = capturing.Server;
        var compliance = Client(capturing, ComplianceKey);
        await using (await app.LockTableAsync("audit_records"))
        {
            // Refused by its parameters before any read of the database: as fast as a read can be.
            await Parallel.ForAsync(0, reads, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, token) =>
                Assert.Equal(HttpStatusCode.BadRequest, (await compliance.GetAsync("/transactions?limit=0", token)).StatusCode));
            var full = await Scrape.OfAsync(capturing.CreateClient());
            Assert.True(full.Value("receiver_audit_records_dropped_total", ("reason", "queue_full")) > 0);
        }

        var scrape = await Scrape.UntilAsync(capturing.CreateClient(), scrape =>
            scrape.Value("receiver_audit_records_written_total") + scrape.Value("receiver_audit_records_dropped_total") >= reads);
        Assert.Equal(reads, scrape.Value("receiver_audit_records_written_total") + scrape.Value("receiver_audit_records_dropped_total", ("reason", "queue_full")));
        Assert.Equal(scrape.Value("receiver_audit_records_written_total"), await app.CountAsync("audit_records"));
        Assert.Single(logs.Lines, line => line.Text.Contains("The audit trail's queue is full", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    [InlineData("3651.00:00:00")]
    public async Task A_retention_that_is_not_positive_or_beyond_ten_years_stops_the_app(string retention) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["Retention__AuditRecords"] = retention,
        }, "Retention:AuditRecords must be at least 1.00:00:00 (a day) and at most 3650.00:00:00");
}
