using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Receiver.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Receiver.Tests.Feed;

/// <summary>
/// The real process (so its resident memory is real) with 40 events of 400 KB stored: feed readers that never read
/// cost it little memory and give it back when they go, and a stream whose reader does not drain is dropped.
/// </summary>
public sealed class FeedMemoryTests(FeedMemoryTests.LargeEvents stored, ITestOutputHelper output) : IClassFixture<FeedMemoryTests.LargeEvents>
{
    private const long Megabyte = 1 << 20;
    private const long MostGrowth = 150 * Megabyte;
    private const string QueryKey = "memory-query-key-0123456789";
    private static readonly string KeyHeader = $"X-Api-Key: {QueryKey}";

    public sealed class LargeEvents : IAsyncLifetime
    {
        public const int Count = 40;
        public const int Size = 400 * 1024;

        public string Database { get; } = TestPostgres.NewDatabaseConnectionString();
        public ReceiverProcess App { get; private set; } = null!;
        public int Port { get; private set; }

        public async Task InitializeAsync()
        {
            // No stalled reader of the memory tests is dropped while they measure.
            (App, Port) = await StartAsync(Database, writeTimeoutSeconds: 600);
            using var ap = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
            for (var i = 0; i < Count; i++)
                Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.LargeTransactionEvent(Size))).StatusCode);
        }

        public async Task DisposeAsync()
        {
            await App.DisposeAsync();
            await TestPostgres.DropDatabaseAsync(Database);
        }
    }

    private static async Task<(ReceiverProcess App, int Port)> StartAsync(string database, int writeTimeoutSeconds)
    {
        var port = ReceiverProcess.FreePort();
        var app = ReceiverProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = database,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__ApiKey__Keys__0"] = QueryKey,
            ["Feed__WriteTimeoutSeconds"] = writeTimeoutSeconds.ToString(),
        }, arguments: ["--urls", $"http://127.0.0.1:{port}"]);
        await app.WaitUntilListeningAsync();
        return (app, port);
    }

    private static HttpClient QueryClient(int port)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", QueryKey);
        return client;
    }

    [Theory]
    [InlineData("/events/stream?last_sequence_number=0&limit=250")]
    [InlineData("/events?last_sequence_number=0&limit=250&wait=0")]
    public async Task Four_readers_that_never_read_hold_little_memory_and_give_it_back_when_they_go(string url)
    {
        var app = stored.App;
        using var query = QueryClient(stored.Port);
        // The code paths run once with one small event, so that what follows measures readers, not the JIT.
        await query.GetJsonAsync("/events?last_sequence_number=0&limit=1&wait=0");
        using (var warmUp = await RawHttp.StalledGetAsync(stored.Port, "/events/stream?last_sequence_number=0&limit=1", KeyHeader))
            await Task.Delay(500);
        await WaitForNoConsumersAsync(query);
        var before = await app.SettledResidentBytesAsync();

        var readers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RawHttp.StalledGetAsync(stored.Port, url, KeyHeader)));
        // The server writes what the connections take, then waits on each.
        var stalled = await app.SettledResidentBytesAsync();
        foreach (var reader in readers) reader.Dispose();
        output.WriteLine($"{url}: {before / Megabyte} MB before, {stalled / Megabyte} MB with 4 readers that never read");

        Assert.True(stalled - before <= MostGrowth,
            $"4 readers that never read grew the receiver's memory by {(stalled - before) / Megabyte} MB ({before / Megabyte} MB before)");
        await WaitForNoConsumersAsync(query);
        // What they held is given back (collected and returned to the system, which takes the runtime a moment).
        var deadline = Stopwatch.StartNew();
        var after = app.ResidentBytes;
        while (after - before > MostGrowth / 2 && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(500);
            after = app.ResidentBytes;
        }
        output.WriteLine($"{after / Megabyte} MB once they are gone");
        Assert.True(after - before <= MostGrowth / 2,
            $"the readers gone, the receiver still holds {(after - before) / Megabyte} MB more than before them");
    }

    [Fact]
    public async Task A_stream_whose_reader_does_not_drain_is_dropped_after_the_write_timeout_and_frees_its_stream()
    {
        var (app, port) = await StartAsync(stored.Database, writeTimeoutSeconds: 2);
        await using (app)
        {
            using var query = QueryClient(port);
            using var reader = await RawHttp.StalledGetAsync(port, "/events/stream?last_sequence_number=0", KeyHeader);

            try
            {
                await Eventually.HoldsAsync(() => app.Output.Contains("did not take", StringComparison.Ordinal),
                    "the stalled stream was not dropped", TimeSpan.FromSeconds(60));
            }
            catch
            {
                // What the receiver logged tells why. (It once failed about one run in ten: the stream took the
                // request's cancellation, which Kestrel's abort of the timed-out flush sets, for a reader that left.)
                output.WriteLine(app.Output);
                throw;
            }
            // The connection is closed: what it had buffered reads out, then it ends.
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[64 * 1024];
            try
            {
                while (await reader.ReceiveAsync(buffer, SocketFlags.None, drain.Token) > 0) { }
            }
            catch (SocketException)
            {
                // Reset by the server: closed too.
            }
            Assert.False(drain.IsCancellationRequested, "the server kept the stalled stream's connection open");
            var scrape = await WaitForNoConsumersAsync(query);
            Assert.Equal(1, scrape.Value("receiver_feed_streams_dropped_total"));
            Assert.Single(app.Output.Split('\n'), line => line.Contains("did not take", StringComparison.Ordinal));
        }
    }

    private static async Task<Scrape> WaitForNoConsumersAsync(HttpClient query)
    {
        var scrape = await Scrape.UntilAsync(query, s => s.Value("receiver_feed_consumers") == 0);
        Assert.Equal(0, scrape.Value("receiver_feed_consumers"));
        return scrape;
    }
}
