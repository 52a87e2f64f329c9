using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Receiver.AnchorPlatform;
using Receiver.Feed;
using Receiver.PersonalData;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Feed;

/// <summary>The feed: every stored event once, in increasing order, across instances, by poll, stream and single reads.</summary>
public sealed class FeedTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static Task<long> LatestAsync(ReceiverApp on) => on.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events");

    [Fact]
    public async Task Six_hundred_events_posted_across_two_instances_are_polled_once_each_in_increasing_order()
    {
        await using var other = ReceiverApp.Beside(app);
        // Started here, once: the concurrent CreateApClient calls below would each start a host of their own.
        _ = other.Server;
        var start = await LatestAsync(app);
        var bodies = Enumerable.Range(0, 600).Select(i => i % 3 == 0 ? ApEvents.CustomerUpdated() : ApEvents.QuoteCreated()).ToList();

        var consumer = Task.Run(async () =>
        {
            var seen = new List<(long Sequence, string Id)>();
            var after = start;
            var query = app.CreateQueryClient();
            var deadline = Stopwatch.StartNew();
            while (seen.Count < bodies.Count && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                var page = await query.GetJsonAsync($"/events?last_sequence_number={after}&limit=37&wait=2");
                foreach (var e in page["data"]!.AsArray()) seen.Add(((long)e!["sequence_number"]!, (string)e["id"]!));
                after = (long)page["last_sequence_number"]!;
            }
            return seen;
        });
        // Both instances write at once, each with several concurrent requests: batches interleave on one database.
        await Parallel.ForEachAsync(bodies.Select((body, i) => (body, i)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, _) =>
        {
            var client = (item.i % 2 == 0 ? app : other).CreateApClient();
            Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(item.body)).StatusCode);
        });
        var seen = await consumer;

        Assert.Equal(bodies.Select(b => (string)b["id"]!).Order(), seen.Select(s => s.Id).Order());
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
        for (var i = 1; i < seen.Count; i++) Assert.True(seen[i].Sequence > seen[i - 1].Sequence, $"sequence {seen[i].Sequence} after {seen[i - 1].Sequence}");
    }

    [Fact]
    public async Task A_long_poll_on_one_instance_returns_within_a_second_of_a_write_on_another()
    {
        await using var other = ReceiverApp.Beside(app);
        _ = other.Server;
        var start = await LatestAsync(app);
        var body = ApEvents.QuoteCreated();

        var poll = app.CreateQueryClient().GetJsonAsync($"/events?last_sequence_number={start}&type=quote_created&wait=30");
        await Task.Delay(500);
        Assert.False(poll.IsCompleted, "the poll must wait for an event");
        Assert.Equal(HttpStatusCode.OK, (await other.CreateApClient().PostEventAsync(body)).StatusCode);
        var written = Stopwatch.StartNew();
        var page = await poll;
        written.Stop();

        Assert.True(written.Elapsed < TimeSpan.FromSeconds(1), $"the poll answered {written.Elapsed} after the write");
        Assert.Equal((string)body["id"]!, (string?)page["data"]![0]!["id"]);
    }

    [Fact]
    public async Task An_event_committed_without_an_announcement_still_reaches_a_waiting_long_poll_within_the_check_interval()
    {
        var start = await LatestAsync(app);
        var body = ApEvents.CustomerUpdated();
        var poll = app.CreateQueryClient().GetJsonAsync($"/events?last_sequence_number={start}&type=customer_updated&wait=60");
        await Task.Delay(500);
        Assert.False(poll.IsCompleted, "the poll must wait for an event");

        // As if its writer were killed between its commit and its NOTIFY: nobody announces this one.
        await app.ScalarAsync<long>("INSERT INTO events (id, type, customer_id, body) VALUES ($1, 'customer_updated', 'silent', $2) RETURNING seq",
            (string)body["id"]!, Encoding.UTF8.GetBytes(body.ToJsonString()));
        var written = Stopwatch.StartNew();
        var page = await poll;

        Assert.True(written.Elapsed < FeedNotifier.CheckInterval + TimeSpan.FromSeconds(5), $"the poll answered {written.Elapsed} after the commit");
        Assert.Equal((string)body["id"]!, (string?)page["data"]![0]!["id"]);
    }

    [Fact]
    public async Task A_poll_with_nothing_new_waits_then_answers_empty_with_the_same_sequence_number()
    {
        var after = await LatestAsync(app) + 1_000_000;
        var clock = Stopwatch.StartNew();
        var page = await app.CreateQueryClient().GetJsonAsync($"/events?last_sequence_number={after}&wait=1");

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {clock.Elapsed}");
        Assert.Empty(page["data"]!.AsArray());
        Assert.Equal(after, (long)page["last_sequence_number"]!);
        Assert.Equal(100, (int)page["limit"]!);
    }

    [Fact]
    public async Task A_feed_event_carries_the_envelope_and_the_payload_exactly_as_AP_sent_it_in_every_answer()
    {
        // Spacing, member order and line breaks (CRLF, a lone CR, LF) as a sender might write them: the payload
        // comes back byte for byte, and in a stream frame each line break continues on a further data: line.
        var id = Guid.NewGuid().ToString();
        var payload = "{\r\n \"quote\" : {\"id\":\"q-" + id + "\",\r \"sell_asset\":\"iso4217:USD\",\n  \"price\":\"1.02\"} }";
        var text = $"{{\"type\":\"quote_created\",\"id\":\"{id}\",\"timestamp\":\"2024-09-25T18:59:32.123456789Z\",\"payload\":{payload}}}";
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(text)).StatusCode);
        var query = app.CreateQueryClient();

        var response = await query.GetAsync($"/event/{id}");
        var raw = await response.Content.ReadAsStringAsync();
        var byId = JsonNode.Parse(raw)!;
        Assert.Contains("\"payload\":" + payload, raw);
        Assert.Equal(id, (string?)byId["id"]);
        Assert.Equal("quote_created", (string?)byId["type"]);
        Assert.Equal("2024-09-25T18:59:32.123456789Z", (string?)byId["timestamp"]);
        Assert.EndsWith("Z", (string?)byId["received_at"]);
        var sequence = (long)byId["sequence_number"]!;
        Assert.Equal(raw, await query.GetStringAsync($"/event/sequence/{sequence}"));
        Assert.Contains(raw, await query.GetStringAsync($"/events?last_sequence_number={sequence - 1}&limit=1"));
        var (stream, reader) = await SseReader.OpenAsync(query, $"/events/stream?last_sequence_number={sequence - 1}&limit=1");
        using (stream)
        using (reader)
        {
            Assert.NotNull((await reader.NextAsync())!.Retry);
            var frame = (await reader.NextAsync())!;
            Assert.Equal(sequence.ToString(), frame.Id);
            Assert.Equal("[" + raw.Replace("\r\n", "\n").Replace('\r', '\n') + "]", frame.Data);
        }

        await query.GetJsonAsync("/event/no-such-event", HttpStatusCode.NotFound);
        await query.GetJsonAsync("/event/sequence/999999999", HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=251", "limit")]
    [InlineData("wait=61", "wait")]
    [InlineData("wait=soon", "wait")]
    [InlineData("last_sequence_number=-1", "last_sequence_number")]
    [InlineData("type=transaction_deleted", "type")]
    [InlineData("after=5", "after")]
    public async Task A_bad_poll_parameter_is_a_400_naming_it(string query, string parameter)
    {
        var problem = await app.CreateQueryClient().GetJsonAsync($"/events?{query}", HttpStatusCode.BadRequest);
        Assert.Equal([parameter], problem["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task The_feed_needs_query_credentials()
    {
        var anonymous = app.CreateClient();
        foreach (var url in new[] { "/events?wait=0", "/events/stream", "/event/some-id", "/event/sequence/1" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
        var withEventSecret = app.CreateApClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await withEventSecret.GetAsync("/events?wait=0")).StatusCode);
    }

    [Fact]
    public async Task A_stream_resumes_after_Last_Event_ID_then_delivers_live()
    {
        var transaction = ApEvents.Sep24DepositCreated();
        var ap = app.CreateApClient();
        var first = ApEvents.TransactionEvent("transaction_created", transaction);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(first)).StatusCode);
        var firstSequence = (long)(await app.CreateQueryClient().GetJsonAsync($"/event/{first["id"]}"))["sequence_number"]!;
        var missed = ApEvents.TransactionEvent("transaction_status_changed", transaction.DeepClone().AsObject().Set("status", "\"pending_anchor\""));
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(missed)).StatusCode);

        var (response, reader) = await SseReader.OpenAsync(app.CreateQueryClient(),
            $"/events/stream?transaction_id={transaction["id"]}&last_sequence_number=0", lastEventId: firstSequence.ToString());
        using (response)
        using (reader)
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
            Assert.Equal("2000", (await reader.NextAsync())!.Retry);

            var replayed = await reader.EventsAsync(1);
            Assert.Equal((string)missed["id"]!, (string?)replayed[0].Event["id"]);
            Assert.Equal(replayed[0].Event["sequence_number"]!.ToString(), replayed[0].FrameId);

            var live = ApEvents.TransactionEvent("transaction_status_changed", transaction.DeepClone().AsObject().Set("status", "\"completed\""));
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(live)).StatusCode);
            var delivered = await reader.EventsAsync(1);
            Assert.Equal((string)live["id"]!, (string?)delivered[0].Event["id"]);
            Assert.True(long.Parse(delivered[0].FrameId) > long.Parse(replayed[0].FrameId));
        }
    }

    [Fact]
    public async Task A_stream_follows_its_filters()
    {
        var start = await LatestAsync(app);
        var (response, reader) = await SseReader.OpenAsync(app.CreateQueryClient(), $"/events/stream?last_sequence_number={start}&type=quote_created");
        using (response)
        using (reader)
        {
            var ap = app.CreateApClient();
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
            var quote = ApEvents.QuoteCreated();
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(quote)).StatusCode);

            var delivered = await reader.EventsAsync(1);
            Assert.Equal((string)quote["id"]!, (string?)delivered.Single().Event["id"]);
        }
    }

    [Fact]
    public async Task An_idle_stream_sends_heartbeats_and_a_client_that_leaves_frees_its_stream()
    {
        await using var quick = ReceiverApp.Beside(app, new Dictionary<string, string?> { ["Feed:HeartbeatSeconds"] = "1" });
        var metrics = quick.Services.GetRequiredService<FeedMetrics>();
        var (response, reader) = await SseReader.OpenAsync(quick.CreateQueryClient(), $"/events/stream?last_sequence_number={long.MaxValue / 2}");
        using (reader)
        {
            Assert.NotNull((await reader.NextAsync())!.Retry);
            var clock = Stopwatch.StartNew();
            Assert.Equal("heartbeat", (await reader.NextAsync(TimeSpan.FromSeconds(5)))!.Comment);
            Assert.Equal("heartbeat", (await reader.NextAsync(TimeSpan.FromSeconds(5)))!.Comment);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"two heartbeats took {clock.Elapsed}");
            Assert.Equal(1, metrics.Consumers(FeedConsumerKind.Sse));
            response.Dispose();
        }

        var deadline = Stopwatch.StartNew();
        while (metrics.Consumers(FeedConsumerKind.Sse) != 0 && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Equal(0, metrics.Consumers(FeedConsumerKind.Sse));
    }

    [Fact]
    public async Task A_stalled_stream_holds_back_no_other_stream()
    {
        var start = await LatestAsync(app);
        var query = app.CreateQueryClient();
        // This client never reads: once its buffers are full its stream waits, alone.
        var (stalledResponse, stalledReader) = await SseReader.OpenAsync(query, $"/events/stream?last_sequence_number={start}");
        var (response, reader) = await SseReader.OpenAsync(query, $"/events/stream?last_sequence_number={start}");
        using (stalledResponse)
        using (stalledReader)
        using (response)
        using (reader)
        {
            var bodies = Enumerable.Range(0, 300).Select(_ => ApEvents.TransactionEvent("transaction_created", ApEvents.Sep24DepositCompleted())).ToList();
            await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (body, _) =>
                Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(body)).StatusCode));

            var delivered = await reader.EventsAsync(bodies.Count);
            Assert.Equal(bodies.Select(b => (string)b["id"]!).Order(), delivered.Select(d => (string)d.Event["id"]!).Order());
        }
    }

    [Fact]
    public async Task A_write_not_taken_within_the_timeout_drops_the_stream_though_the_request_is_aborted_first_and_a_reader_that_leaves_is_not_dropped()
    {
        await using var quick = ReceiverApp.Beside(app, new Dictionary<string, string?> { ["Feed:WriteTimeoutSeconds"] = "1" });
        var streams = quick.Services.GetRequiredService<FeedStreams>();
        var metrics = quick.Services.GetRequiredService<FeedMetrics>();
        var after = await LatestAsync(app);
        var filter = new FeedFilter([.. EventTypes.All], null);
        var view = quick.Services.GetRequiredService<PersonalDataFilter>().For(new ClaimsPrincipal());

        var stalled = new StalledConnection();
        var clock = Stopwatch.StartNew();
        await streams.RunAsync(stalled.Context, after, filter, 100, view, stalled.RequestAborted).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"the stream ended after {clock.Elapsed}, before its write timeout");
        Assert.Equal(1, metrics.StreamsDropped);
        Assert.True(stalled.Aborted, "the stalled stream's connection was not closed");

        // Its reader goes away while a write waits: gone, not stalled.
        var leaving = new StalledConnection();
        var run = streams.RunAsync(leaving.Context, after, filter, 100, view, leaving.RequestAborted);
        await leaving.FlushWaits.Task.WaitAsync(TimeSpan.FromSeconds(30));
        leaving.Leave();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, metrics.StreamsDropped);
        Assert.False(leaving.Aborted, "a stream whose reader left was dropped as stalled");
    }

    /// <summary>
    /// A response whose reader takes nothing, as Kestrel's looks to the stream: a flush waits until its token is
    /// cancelled. Kestrel then aborts the connection, which cancels the request's RequestAborted; it does so on the
    /// thread pool, so only sometimes before the flush's caller sees the cancellation; here always before.
    /// </summary>
    private sealed class StalledConnection : PipeWriter, IHttpResponseBodyFeature, IHttpRequestLifetimeFeature
    {
        private readonly CancellationTokenSource _requestAborted = new();
        private readonly ArrayBufferWriter<byte> _written = new();

        public StalledConnection()
        {
            Context.Features.Set<IHttpResponseBodyFeature>(this);
            Context.Features.Set<IHttpRequestLifetimeFeature>(this);
        }

        public DefaultHttpContext Context { get; } = new();

        /// <summary>Set once a flush waits on the reader.</summary>
        public TaskCompletionSource FlushWaits { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether the application closed the connection (HttpContext.Abort).</summary>
        public bool Aborted { get; private set; }

        /// <summary>The reader goes away.</summary>
        public void Leave() => _requestAborted.Cancel();

        public CancellationToken RequestAborted { get => _requestAborted.Token; set => throw new NotSupportedException(); }

        public void Abort() => Aborted = true;

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            FlushWaits.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _requestAborted.Cancel();
                throw;
            }
            return default;
        }

        public override void Advance(int bytes) => _written.Advance(bytes);
        public override Memory<byte> GetMemory(int sizeHint = 0) => _written.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => _written.GetSpan(sizeHint);
        public override void CancelPendingFlush() { }
        public override void Complete(Exception? exception = null) { }

        public Stream Stream => AsStream();
        public PipeWriter Writer => this;
        public void DisableBuffering() { }
        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CompleteAsync() => Task.CompletedTask;
    }

    [Fact]
    public async Task A_bad_stream_parameter_is_a_400_before_any_stream()
    {
        var response = await app.CreateQueryClient().GetAsync("/events/stream?type=nothing");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "/events/stream");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, (await app.CreateQueryClient().SendAsync(request)).StatusCode);
    }
}
