using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Telemetry;

/// <summary>
/// <c>/metrics</c>, scraped as Prometheus does: what was posted, refused, read from the feed and lost to the database
/// shows in the counters by exactly the right amounts.
/// </summary>
public sealed class MetricsTests
{
    private const string Received = "receiver_events_received_total";

    private static (string, string)[] Event(string type, string sep, string outcome) => [("type", type), ("sep", sep), ("outcome", outcome)];

    [Fact]
    public async Task Events_are_counted_by_type_sep_and_outcome_and_event_latency_is_a_histogram()
    {
        await using var app = new ReceiverApp();
        // Another instance in the same process (as tests run side by side): each counts only its own requests.
        await using var other = ReceiverApp.Beside(app);
        var otherAp = other.CreateApClient();
        var ap = app.CreateApClient();
        var metrics = app.CreateClient();
        var sep24 = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep24DepositCreated());
        var sep31 = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        var quote = ApEvents.QuoteCreated();
        var conflicting = quote.DeepClone().AsObject().Set("payload/quote/price", "\"9.99\"");
        var invalid = ApEvents.CustomerUpdated().Set("payload/customer", "{\"id\":7}");
        const string unknownType = """{"id":"metrics-unknown-type","type":"transaction_deleted","timestamp":"2024-09-25T18:59:32.123Z","payload":{}}""";

        foreach (var body in new[] { sep24, sep24, sep24, sep31, quote, conflicting })
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(body)).StatusCode);
        for (var attempt = 0; attempt < 3; attempt++) // AP retrying a refused event: every attempt counts
            Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync(invalid)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync(unknownType)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherAp.PostEventAsync(ApEvents.TransactionEvent("transaction_created", ApEvents.Sep24DepositCreated()))).StatusCode);
        var scrape = await Scrape.OfAsync(metrics);

        Assert.Equal(1, scrape.Value(Received, Event("transaction_created", "24", "stored")));
        Assert.Equal(2, scrape.Value(Received, Event("transaction_created", "24", "redelivered")));
        Assert.Equal(1, scrape.Value(Received, Event("transaction_created", "31", "stored")));
        Assert.Equal(1, scrape.Value(Received, Event("quote_created", "none", "stored")));
        Assert.Equal(1, scrape.Value(Received, Event("quote_created", "none", "conflicting_duplicate")));
        Assert.Equal(3, scrape.Value(Received, Event("customer_updated", "invalid", "rejected")));
        Assert.Equal(1, scrape.Value(Received, Event("invalid", "invalid", "rejected")));
        Assert.Equal(10, scrape.Value(Received));
        Assert.DoesNotContain("transaction_deleted", scrape.Text);

        (string, string)[] eventRoute = [("http_route", "/event"), ("http_request_method", "POST")];
        Assert.Equal(6, scrape.Value("http_server_request_duration_seconds_count", [.. eventRoute, ("http_response_status_code", "200")]));
        Assert.Equal(4, scrape.Value("http_server_request_duration_seconds_count", [.. eventRoute, ("http_response_status_code", "400")]));
        Assert.Equal(10, scrape.Value("http_server_request_duration_seconds_bucket", [.. eventRoute, ("le", "+Inf")]));
        Assert.True(scrape.Has("http_server_request_duration_seconds_bucket", [.. eventRoute, ("le", "0.1")]));
        var otherScrape = await Scrape.OfAsync(other.CreateClient());
        Assert.Equal(1, otherScrape.Value(Received));
        Assert.Equal(1, otherScrape.Value("http_server_request_duration_seconds_count", eventRoute));
    }

    [Fact]
    public async Task With_Ingest_OnInvalid_park_invalid_events_count_as_parked()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Ingest:OnInvalid"] = "park" });
        var invalid = ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep6Deposit()).Set("payload/transaction/status", "\"lost\"");

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(invalid)).StatusCode);

        var scrape = await Scrape.OfAsync(app.CreateClient());
        Assert.Equal(1, scrape.Value(Received, Event("transaction_status_changed", "invalid", "parked")));
        Assert.Equal(1, scrape.Value(Received));
    }

    [Fact]
    public async Task Feed_consumers_are_counted_while_connected_and_their_deliveries_give_the_lag()
    {
        await using var app = new ReceiverApp();
        var query = app.CreateQueryClient();
        var metrics = app.CreateClient();
        var start = await app.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events");
        Assert.Equal(0, (await Scrape.OfAsync(metrics)).Value("receiver_feed_consumers", ("kind", "sse")));

        var request = new HttpRequestMessage(HttpMethod.Get, $"/events/stream?last_sequence_number={start}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var stream = await query.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new SseReader(await stream.Content.ReadAsStreamAsync());
        Assert.NotNull((await reader.NextAsync())!.Retry);
        var poll = query.GetJsonAsync($"/events?last_sequence_number={start}&wait=60");
        var connected = await Scrape.UntilAsync(metrics, s => s.Value("receiver_feed_consumers", ("kind", "poll")) == 1);
        Assert.Equal(1, connected.Value("receiver_feed_consumers", ("kind", "sse")));
        Assert.Equal(1, connected.Value("receiver_feed_consumers", ("kind", "poll")));

        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.Single((await poll)["data"]!.AsArray());
        Assert.NotNull((await reader.NextAsync(TimeSpan.FromSeconds(30)))!.Id);
        reader.Dispose();
        stream.Dispose();

        var left = await Scrape.UntilAsync(metrics, s => s.Value("receiver_feed_consumers") == 0);
        Assert.Equal(0, left.Value("receiver_feed_consumers", ("kind", "sse")));
        Assert.Equal(0, left.Value("receiver_feed_consumers", ("kind", "poll")));
        Assert.Equal(1, left.Value("receiver_feed_delivery_lag_seconds_count", ("kind", "sse")));
        Assert.Equal(1, left.Value("receiver_feed_delivery_lag_seconds_count", ("kind", "poll")));
        Assert.Equal(1, left.Value("receiver_feed_delivery_lag_seconds_bucket", ("kind", "poll"), ("le", "+Inf")));
    }

    [Fact]
    public async Task The_first_scrape_after_start_has_the_rejected_events_backlog()
    {
        // A process of its own, as Prometheus meets it: nothing has read the metrics before.
        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            ["CallbackApi__Auth__Type"] = "none",
            ["QueryApi__Auth__Type"] = "none",
        }, async (_, http) =>
        {
            var first = await Scrape.OfAsync(http);
            Assert.True(first.Has("receiver_rejected_events_backlog", ("reason", "invalid")), first.Text);
            Assert.True(first.Has("receiver_rejected_events_backlog", ("reason", "conflicting_duplicate")), first.Text);
        });
    }

    [Fact]
    public async Task The_rejected_events_backlog_counts_what_is_not_replayed_and_falls_after_a_replay()
    {
        await using var before = ReceiverApp.With(new Dictionary<string, string?> { ["Metrics:BacklogRefreshSeconds"] = "0" });
        var ap = before.CreateApClient();
        // A newer AP's status: refused until the operator adds it, then replayed.
        var bodies = Enumerable.Range(0, 2).Select(_ =>
            ApEvents.TransactionEvent("transaction_status_changed", ApEvents.Sep24DepositCreated()).Set("payload/transaction/status", "\"pending_review\"")).ToList();
        foreach (var body in bodies)
            Assert.Equal(HttpStatusCode.BadRequest, (await ap.PostEventAsync(body)).StatusCode);
        var stored = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(stored)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(stored.DeepClone().AsObject().Set("payload/quote/price", "\"9.99\""))).StatusCode);
        var metrics = before.CreateClient();

        var backlog = await Scrape.UntilAsync(metrics, s => s.Value("receiver_rejected_events_backlog", ("reason", "invalid")) == 2);
        Assert.Equal(2, backlog.Value("receiver_rejected_events_backlog", ("reason", "invalid")));
        Assert.Equal(1, backlog.Value("receiver_rejected_events_backlog", ("reason", "conflicting_duplicate")));

        await using var after = ReceiverApp.Beside(before, new Dictionary<string, string?> { ["Ingest:AdditionalStatuses:0"] = "pending_review" });
        var id = await before.ScalarAsync<long>("SELECT id FROM rejected_events WHERE event_id = $1", (string)bodies[0]["id"]!);
        Assert.Equal(HttpStatusCode.OK, (await after.CreateQueryClient().PostAsync($"/rejected-events/{id}/replay", null)).StatusCode);

        var replayed = await Scrape.UntilAsync(metrics, s => s.Value("receiver_rejected_events_backlog", ("reason", "invalid")) == 1);
        Assert.Equal(1, replayed.Value("receiver_rejected_events_backlog", ("reason", "invalid")));
        // A replay is not an event AP posted.
        Assert.Equal(0, (await Scrape.OfAsync(after.CreateClient())).Value(Received));
    }

    [Fact]
    public async Task A_database_slower_than_the_timeout_counts_a_timeout()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Database:Timeout"] = "00:00:01" });
        var metrics = app.CreateClient();
        Assert.Equal(0, (await Scrape.OfAsync(metrics)).Value("receiver_database_errors_total"));

        await using (await app.LockTableAsync("events"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
            // The writer gives up on its batch a moment after the request has had its answer.
            await Scrape.UntilAsync(metrics, s => s.Value("receiver_database_errors_total") >= 1);
        }

        var scrape = await Scrape.OfAsync(metrics);
        Assert.Equal(1, scrape.Value("receiver_database_errors_total", ("kind", "timeout")));
        Assert.Equal(0, scrape.Value("receiver_database_errors_total", ("kind", "read_timeout")));
        Assert.Equal(0, scrape.Value("receiver_database_errors_total", ("kind", "error")));
    }

    /// <summary>A query too slow for its data is not PostgreSQL being down: its own timeout, its own label, and AP unaffected.</summary>
    [Fact]
    public async Task A_read_slower_than_its_timeout_answers_503_and_counts_a_read_timeout_not_an_outage()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Database:ReadTimeout"] = "00:00:01" });
        var metrics = app.CreateClient();
        Assert.Equal(0, (await Scrape.OfAsync(metrics)).Value("receiver_database_errors_total"));

        await using (await app.LockTableAsync("transactions"))
        {

            var clock = Stopwatch.StartNew();
            var slow = await app.CreateQueryClient().GetAsync("/transactions");
            clock.Stop();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.StatusCode);
            Assert.Contains("Database:ReadTimeout", (await slow.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1 + 4), $"the 503 took {clock.Elapsed}");
            // AP's deliveries keep their own, longer bound: an event that touches no locked table is stored meanwhile.
            Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        }

        var scrape = await Scrape.UntilAsync(metrics, s => s.Value("receiver_database_errors_total") >= 1);
        Assert.Equal(1, scrape.Value("receiver_database_errors_total", ("kind", "read_timeout")));
        Assert.Equal(0, scrape.Value("receiver_database_errors_total", ("kind", "timeout")));
        Assert.Equal(0, scrape.Value("receiver_database_errors_total", ("kind", "error")));
    }

    [Fact]
    public async Task A_stopped_database_counts_errors_and_scrapes_still_answer_with_the_last_backlog()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["Database:Timeout"] = "00:00:02",
            ["Database:ReadTimeout"] = "00:00:02",
            ["Metrics:BacklogRefreshSeconds"] = "0",
        }, cluster.ConnectionString("receiver_metrics_fault"));
        await app.InitializeAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated().Set("payload/customer", "{\"id\":7}"))).StatusCode);
        var metrics = app.CreateClient();
        await Scrape.UntilAsync(metrics, s => s.Value("receiver_rejected_events_backlog", ("reason", "invalid")) == 1);

        await cluster.StopAsync("immediate");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateQueryClient().GetAsync("/transactions")).StatusCode);

        var down = await Scrape.UntilAsync(metrics, s => s.Value("receiver_database_errors_total") >= 2);
        Assert.True(down.Value("receiver_database_errors_total") >= 2, down.Text);
        Assert.Equal(1, down.Value("receiver_rejected_events_backlog", ("reason", "invalid")));
        await cluster.StartAsync();
    }

    [Fact]
    public async Task With_Metrics_RequireAuth_a_scrape_needs_a_query_credential()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Metrics:RequireAuth"] = "true" });

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateApClient().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateQueryClient().GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_served_at_Metrics_Path_and_not_at_all_when_disabled()
    {
        await using var moved = ReceiverApp.With(new Dictionary<string, string?> { ["Metrics:Path"] = "/internal/metrics" });
        Assert.Equal(HttpStatusCode.NotFound, (await moved.CreateClient().GetAsync("/metrics")).StatusCode);
        var scrape = await Scrape.OfAsync(moved.CreateClient(), "/internal/metrics");
        Assert.True(scrape.Has("target_info", ("service_name", "receiver")));
        // Before any request, Receiver's own series are there, at zero.
        Assert.True(scrape.Has("receiver_database_errors_total", ("kind", "timeout")));
        Assert.Equal(0, scrape.Value("receiver_feed_consumers", ("kind", "sse")));
        Assert.True(scrape.Has("receiver_feed_consumers", ("kind", "sse")));

        await using var disabled = ReceiverApp.Beside(moved, new Dictionary<string, string?> { ["Metrics:Enabled"] = "false" });
        Assert.Equal(HttpStatusCode.NotFound, (await disabled.CreateClient().GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task With_Metrics_Port_metrics_are_served_on_that_port_only()
    {
        var port = ReceiverProcess.FreePort();
        var metricsPort = ReceiverProcess.FreePort();
        var connectionString = TestPostgres.NewDatabaseConnectionString();
        try
        {
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = connectionString,
                ["CallbackApi__Auth__Type"] = "none",
                ["QueryApi__Auth__Type"] = "none",
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Metrics__Port"] = metricsPort.ToString(),
            });
            await app.WaitUntilListeningAsync();
            using var client = new HttpClient();

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"http://127.0.0.1:{port}/metrics")).StatusCode);
            // The Host header is the client's to choose: it opens nothing.
            var spoofed = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics") { Headers = { Host = $"127.0.0.1:{metricsPort}" } };
            Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(spoofed)).StatusCode);
            var scrape = await Scrape.OfAsync(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") });
            Assert.True(scrape.Has("target_info", ("service_name", "receiver")));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(connectionString);
        }
    }

    [Theory]
    [InlineData("Metrics__Port", "70000", "Metrics:Port must be between 1 and 65535; it is 70000.")]
    [InlineData("Metrics__Port", "8081", "Metrics:Port must differ from the ports of Urls")]
    [InlineData("Metrics__Path", "metrics", "Metrics:Path must be a path such as /metrics; it is 'metrics'.")]
    [InlineData("Metrics__BacklogRefreshSeconds", "-1", "Metrics:BacklogRefreshSeconds must be between 0 and 3600; it is -1.")]
    [InlineData("Otlp__Endpoint", "collector:4318", "Otlp:Endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) must be an http or https URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "Otlp:Protocol (or OTEL_EXPORTER_OTLP_PROTOCOL) must be grpc or http/protobuf; it is 'http/json'.")]
    public Task A_bad_telemetry_setting_stops_the_app_with_one_line(string name, string value, string message) =>
        ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CallbackApi__Auth__Type"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["Urls"] = "http://127.0.0.1:8081",
            [name] = value,
        }, message);
}
