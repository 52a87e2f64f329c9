using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Receiver.Bench;

/// <summary>
/// A long mixed run: AP-style ingest at a steady rate, queries, one SSE and one long-poll consumer that must each
/// see every acknowledged event, and the receiver's resident memory sampled as it goes.
/// </summary>
internal static class Soak
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var url = new Uri(args.Text("post"));
        var rate = args.Number("rate", 1000);
        var duration = TimeSpan.FromSeconds(args.Number("seconds", 600));
        var pid = args.Number("pid", 0);
        var secret = args.Text("secret");
        var clock = Stopwatch.StartNew();
        var acked = new ConcurrentDictionary<string, bool>();
        long postErrors = 0, queries = 0, queryErrors = 0;
        var streamed = new ConcurrentDictionary<string, bool>();
        var polled = new ConcurrentDictionary<string, bool>();
        using var stop = new CancellationTokenSource();

        HttpClient Query()
        {
            var client = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Add("X-Api-Key", args.Text("query-key"));
            return client;
        }
        var transactions = Enumerable.Range(0, 2000).Select(i => $"soak-tx-{i}").ToArray();
        var consumers = new[]
        {
            StreamAsync(Query(), streamed, stop.Token),
            PollAsync(Query(), polled, stop.Token),
            QueryAsync(Query(), transactions, () => Interlocked.Increment(ref queries), () => Interlocked.Increment(ref queryErrors), stop.Token),
        };

        Console.WriteLine("   s   acked/s  post-err  queries  query-err  streamed   polled   rss MB");
        var sampler = Task.Run(async () =>
        {
            long lastAcked = 0;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None);
                var now = acked.Count;
                Console.WriteLine($"{clock.Elapsed.TotalSeconds,4:F0} {(now - lastAcked) / 10.0,9:F0} {postErrors,9} {queries,8} {queryErrors,10} {streamed.Count,9} {polled.Count,8} {Rss(pid),8:F0}");
                lastAcked = now;
            }
        });

        using var posting = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = url };
        var inFlight = new List<Task>();
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
            var eventId = Guid.NewGuid().ToString();
            var body = ApTraffic.Sep31Event(eventId, transactions[i % transactions.Length], DateTimeOffset.UtcNow);
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await posting.SendAsync(ApTraffic.Post(secret, body));
                    if (response.StatusCode == HttpStatusCode.OK) acked[eventId] = true;
                    else Interlocked.Increment(ref postErrors);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref postErrors);
                }
            }));
            if (inFlight.Count > 10_000) { await Task.WhenAll(inFlight); inFlight.Clear(); }
        }
        await Task.WhenAll(inFlight);

        var catchUp = Stopwatch.StartNew();
        while (catchUp.Elapsed < TimeSpan.FromSeconds(60) && acked.Keys.Any(id => !streamed.ContainsKey(id) || !polled.ContainsKey(id))) await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(consumers.Append(sampler).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        var missedByStream = acked.Keys.Count(id => !streamed.ContainsKey(id));
        var missedByPoll = acked.Keys.Count(id => !polled.ContainsKey(id));
        Console.WriteLine($"ran {clock.Elapsed.TotalMinutes:F1} min at {rate}/s offered: {acked.Count} acknowledged, {postErrors} post errors, " +
                          $"{queries} queries ({queryErrors} errors), missed by the stream {missedByStream}, by the poll {missedByPoll}, final RSS {Rss(pid):F0} MB");
        return postErrors == 0 && queryErrors == 0 && missedByStream == 0 && missedByPoll == 0 ? 0 : 1;
    }

    private static async Task StreamAsync(HttpClient client, ConcurrentDictionary<string, bool> seen, CancellationToken stop)
    {
        string? last = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/events/stream?last_sequence_number=0");
                if (last is not null) request.Headers.TryAddWithoutValidation("Last-Event-ID", last);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
                while (await reader.ReadLineAsync(stop) is { } line)
                {
                    if (line.StartsWith("id: ", StringComparison.Ordinal)) last = line[4..];
                    if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                    using var frame = JsonDocument.Parse(line.AsMemory(6));
                    foreach (var e in frame.RootElement.EnumerateArray()) seen[e.GetProperty("id").GetString()!] = true;
                }
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await Task.Delay(500, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task PollAsync(HttpClient client, ConcurrentDictionary<string, bool> seen, CancellationToken stop)
    {
        long last = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var page = JsonDocument.Parse(await client.GetStringAsync($"/events?last_sequence_number={last}&limit=250&wait=10", stop));
                foreach (var e in page.RootElement.GetProperty("data").EnumerateArray()) seen[e.GetProperty("id").GetString()!] = true;
                last = page.RootElement.GetProperty("last_sequence_number").GetInt64();
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await Task.Delay(500, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>About 50 queries a second: single transactions, and now and then a page of the list.</summary>
    private static async Task QueryAsync(HttpClient client, string[] transactions, Action counted, Action failed, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                var url = i % 10 == 0 ? "/transactions?limit=50" : $"/transactions/{transactions[Random.Shared.Next(transactions.Length)]}";
                using var response = await client.GetAsync(url, stop);
                counted();
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotFound)) failed();
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
            }
            catch (HttpRequestException)
            {
                failed();
            }
        }
    }

    private static double Rss(int pid) => pid == 0 ? double.NaN : IdleStreams.ResidentMegabytes(pid);
}
