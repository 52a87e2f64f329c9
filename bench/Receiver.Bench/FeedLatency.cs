using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Receiver.Bench;

/// <summary>
/// Delivery latency across instances: events POSTed to one instance at a steady rate, an SSE consumer on another;
/// for each event, the time from its 200 (committed) to its arrival on the stream.
/// </summary>
internal static class FeedLatency
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var rate = args.Number("rate", 500);
        var seconds = args.Number("seconds", 20);
        var secret = args.Text("secret");
        var acked = new ConcurrentDictionary<string, long>();
        var arrived = new ConcurrentDictionary<string, long>();
        var failures = 0;
        var clock = Stopwatch.StartNew();

        using var streamClient = new HttpClient { BaseAddress = new Uri(args.Text("stream")), Timeout = Timeout.InfiniteTimeSpan };
        streamClient.DefaultRequestHeaders.Add("X-Api-Key", args.Text("query-key"));
        using var stopReading = new CancellationTokenSource();
        var start = await LatestAsync(streamClient);
        var reading = ReadStreamAsync(streamClient, start, arrived, clock, stopReading.Token);

        using var postClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(args.Text("post")) };
        var total = rate * seconds;
        var posts = new List<Task>(total);
        var transactions = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid().ToString()).ToArray();
        for (var i = 0; i < total; i++)
        {
            // A steady rate: event i leaves at i / rate seconds, however long earlier ones take.
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
            var eventId = Guid.NewGuid().ToString();
            var body = ApTraffic.Sep31Event(eventId, transactions[i % transactions.Length], DateTimeOffset.UtcNow);
            posts.Add(Task.Run(async () =>
            {
                using var response = await postClient.SendAsync(ApTraffic.Post(secret, body));
                if (response.StatusCode == HttpStatusCode.OK) acked[eventId] = clock.ElapsedTicks;
                else Interlocked.Increment(ref failures);
            }));
        }
        await Task.WhenAll(posts);
        var sendSeconds = clock.Elapsed.TotalSeconds;

        var wait = Stopwatch.StartNew();
        while (acked.Keys.Any(id => !arrived.ContainsKey(id)) && wait.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        await stopReading.CancelAsync();
        await reading;

        var latencies = acked
            .Select(a => arrived.TryGetValue(a.Key, out var seen) ? Math.Max(0, seen - a.Value) * 1000.0 / Stopwatch.Frequency : double.NaN)
            .ToList();
        var delivered = latencies.Where(l => !double.IsNaN(l)).Order().ToList();
        Console.WriteLine($"events posted        {total} in {sendSeconds:F1} s ({total / sendSeconds:F0}/s offered {rate}/s)");
        Console.WriteLine($"non-200 answers      {failures}");
        Console.WriteLine($"delivered on stream  {delivered.Count} of {acked.Count} acknowledged");
        if (delivered.Count > 0)
            Console.WriteLine($"latency ms           p50 {Percentile(delivered, 50):F1}  p95 {Percentile(delivered, 95):F1}  p99 {Percentile(delivered, 99):F1}  max {delivered[^1]:F1}");
        return delivered.Count == acked.Count && failures == 0 ? 0 : 1;
    }

    private static async Task<long> LatestAsync(HttpClient client)
    {
        long after = 0;
        while (true)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync($"/events?wait=0&limit=250&last_sequence_number={after}"));
            var next = page.RootElement.GetProperty("last_sequence_number").GetInt64();
            if (next == after) return after;
            after = next;
        }
    }

    private static async Task ReadStreamAsync(
        HttpClient client, long after, ConcurrentDictionary<string, long> arrived, Stopwatch clock, CancellationToken stop)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/events/stream?last_sequence_number={after}");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
            while (await reader.ReadLineAsync(stop) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var now = clock.ElapsedTicks;
                using var frame = JsonDocument.Parse(line.AsMemory(6));
                foreach (var e in frame.RootElement.EnumerateArray()) arrived.TryAdd(e.GetProperty("id").GetString()!, now);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    internal static double Percentile(List<double> sorted, double percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
