using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>
/// An event is stored with the bytes it was sent with, or not at all, whatever happens to its request while the
/// writer waits on PostgreSQL: its client gives up, or the receiver answers 503 at Database:Timeout. Large
/// events of one size are what a recycled request buffer would mix up.
/// </summary>
public sealed class BodyIntegrityTests
{
    private const int EventBytes = 400 * 1024;

    [Fact]
    public async Task An_event_whose_client_gave_up_while_PostgreSQL_stalled_is_stored_with_its_own_bytes_or_not_at_all()
    {
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Database:Timeout"] = "00:00:20" });
        await app.InitializeAsync();
        var client = app.CreateApClient();
        var abandoned = LargeEvent('a');
        var others = Enumerable.Range(0, 10).Select(i => LargeEvent((char)('b' + i))).ToList();

        await using (var stall = await StallWriterAsync(app))
        {
            var blocked = client.PostEventAsync(ApEvents.CustomerUpdated());
            await stall.WaitUntilWriterWaitsAsync();

            // AP's HTTP client (or a proxy) times out and closes the connection while the event is still queued.
            using (var gaveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PostAsync(client, abandoned, gaveUp.Token));
            }
            // Events of the same size after it, whose requests would take over a recycled buffer.
            var sent = new List<Task<HttpResponseMessage>>();
            foreach (var other in others)
            {
                sent.Add(PostAsync(client, other, CancellationToken.None));
                await Task.Delay(50);
            }

            await stall.ReleaseAsync();
            Assert.Equal(HttpStatusCode.OK, (await blocked).StatusCode);
            Assert.All(await Task.WhenAll(sent), response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        }

        foreach (var other in others) await AssertStoredAsSentAsync(app, other);
        await AssertStoredAsSentOrNotAtAllAsync(app, abandoned);
        // Its request ended before the writer took it: it was not written, so AP's retry stores it, as sent.
        Assert.Equal(0, await app.CountAsync("events", "id = $1", Id(abandoned)));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, abandoned, CancellationToken.None)).StatusCode);
        await AssertStoredAsSentAsync(app, abandoned);
        Assert.Equal(0, await app.CountAsync("rejected_events"));
    }

    [Fact]
    public async Task An_event_answered_503_at_the_database_timeout_is_stored_with_its_own_bytes_or_not_at_all_and_the_503_says_which()
    {
        // One pooled connection: once the stalled batch gives up, the next batch waits for that connection while its
        // requests reach their own deadline, as when every connection is stuck on a stalled server.
        var connectionString = new NpgsqlConnectionStringBuilder(TestPostgres.NewDatabaseConnectionString()) { MaxPoolSize = 1 }.ConnectionString;
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Database:Timeout"] = "00:00:04" }, connectionString);
        await app.InitializeAsync();
        var client = app.CreateApClient();
        var large = LargeEvent('a');
        var small = Enumerable.Range(0, 150).Select(_ => ApEvents.CustomerUpdated().ToJsonString()).ToList();
        var sameSize = Enumerable.Range(0, 10).Select(i => LargeEvent((char)('b' + i))).ToList();

        var answers = new Dictionary<string, HttpResponseMessage>();
        await using (var stall = await StallWriterAsync(app))
        {
            var first = ApEvents.CustomerUpdated().ToJsonString();
            var firstAnswer = PostAsync(client, first, CancellationToken.None);
            await stall.WaitUntilWriterWaitsAsync();
            var largeAnswer = PostAsync(client, large, CancellationToken.None);
            await Task.Delay(300);
            // More than one batch behind it: the last of these are still queued when their requests time out.
            var smallAnswers = small.Select(body => PostAsync(client, body, CancellationToken.None)).ToList();

            answers[large] = await largeAnswer;
            // Events of the same size after its 503, whose requests would take over a recycled buffer.
            var sameSizeAnswers = sameSize.Select(body => PostAsync(client, body, CancellationToken.None)).ToList();
            // Well past the small events' deadlines (4 s after each was queued, from 0.3 s after the large one): with
            // 0.5 s, a loaded machine that took 0.2 s more to queue them let the writer take every one in time.
            // Short of the same-size events' own deadlines, so those are written.
            await Task.Delay(2000);
            await stall.ReleaseAsync();

            answers[first] = await firstAnswer;
            foreach (var (body, answer) in small.Zip(smallAnswers)) answers[body] = await answer;
            foreach (var (body, answer) in sameSize.Zip(sameSizeAnswers)) answers[body] = await answer;
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answers[large].StatusCode);

        // Every event the writer took is written (or fails) before the next batch: one more event marks that point.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, ApEvents.CustomerUpdated().ToJsonString(), CancellationToken.None)).StatusCode);
        var saidNothingStored = 0;
        foreach (var (body, answer) in answers)
        {
            if (answer.StatusCode == HttpStatusCode.OK)
            {
                await AssertStoredAsSentAsync(app, body);
                continue;
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            var detail = await Detail(answer);
            if (detail.Contains("Nothing was stored"))
            {
                saidNothingStored++;
                Assert.Equal(0, await app.CountAsync("events", "id = $1", Id(body)));
            }
            else
            {
                Assert.Contains("may still be stored", detail);
                await AssertStoredAsSentOrNotAtAllAsync(app, body);
            }
        }
        Assert.True(saidNothingStored > 0, "no request timed out while its event was still queued");

        // AP's retries: each event is stored once, exactly as sent.
        foreach (var (body, answer) in answers.Where(a => a.Value.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, body, CancellationToken.None)).StatusCode);
            await AssertStoredAsSentAsync(app, body);
        }
        Assert.Equal(0, await app.CountAsync("rejected_events"));
    }

    /// <summary>A valid SEP-31 event of exactly <see cref="EventBytes"/> bytes, its message made of <paramref name="filler"/>.</summary>
    private static string LargeEvent(char filler)
    {
        var transaction = ApEvents.Sep31Created();
        transaction["message"] = "";
        var body = ApEvents.TransactionEvent("transaction_created", transaction);
        var empty = Encoding.UTF8.GetByteCount(body.ToJsonString());
        transaction["message"] = new string(filler, EventBytes - empty);
        var text = body.ToJsonString();
        Assert.Equal(EventBytes, Encoding.UTF8.GetByteCount(text));
        return text;
    }

    private static string Id(string body) => (string)JsonNode.Parse(body)!["id"]!;

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        return client.PostAsync("/event", content, cancellationToken);
    }

    private static async Task<string> Detail(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    private static async Task AssertStoredAsSentAsync(ReceiverApp app, string body)
    {
        var stored = await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", Id(body));
        Assert.NotNull(stored);
        Assert.True(Encoding.UTF8.GetBytes(body).AsSpan().SequenceEqual(stored),
            $"event {Id(body)} is stored with other bytes: {Encoding.UTF8.GetString(stored).Length} chars starting " +
            Encoding.UTF8.GetString(stored)[..Math.Min(200, stored.Length)]);
        Assert.Equal(1, await app.CountAsync("events", "id = $1", Id(body)));
    }

    private static async Task AssertStoredAsSentOrNotAtAllAsync(ReceiverApp app, string body)
    {
        if (await app.CountAsync("events", "id = $1", Id(body)) > 0) await AssertStoredAsSentAsync(app, body);
    }

    /// <summary>Holds the events table locked, as a long transaction, a failover or a slow disk would stall it.</summary>
    private static async Task<Stall> StallWriterAsync(ReceiverApp app)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand("LOCK TABLE events IN ACCESS EXCLUSIVE MODE", connection, transaction).ExecuteNonQueryAsync();
        return new Stall(app, connection, transaction);
    }

    private sealed class Stall(ReceiverApp app, NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        /// <summary>Until the writer's statement waits on the lock: its batch is in PostgreSQL's hands.</summary>
        public Task WaitUntilWriterWaitsAsync() => Eventually.HoldsAsync(async () => await app.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0,
            "the writer did not wait on the lock");

        public Task ReleaseAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
