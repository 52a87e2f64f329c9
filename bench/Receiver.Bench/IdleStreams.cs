using System.Diagnostics;

namespace Receiver.Bench;

/// <summary>Many idle SSE consumers: how much resident memory they cost the receiver.</summary>
internal static class IdleStreams
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var clients = args.Number("clients", 1000);
        var hold = TimeSpan.FromSeconds(args.Number("hold", 10));
        var pid = args.Number("pid", 0);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri(args.Text("stream")),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", args.Text("query-key"));

        var before = ResidentMegabytes(pid);
        using var stop = new CancellationTokenSource();
        var opened = 0;
        var streams = Enumerable.Range(0, clients).Select(async _ =>
        {
            using var response = await http.SendAsync(
                new HttpRequestMessage(HttpMethod.Get, $"/events/stream?last_sequence_number={long.MaxValue / 2}"),
                HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            await reader.ReadLineAsync(stop.Token); // retry: hint, the stream is open
            Interlocked.Increment(ref opened);
            try
            {
                while (await reader.ReadLineAsync(stop.Token) is not null) { }
            }
            catch (OperationCanceledException) { }
        }).ToList();

        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref opened) < clients && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
        Console.WriteLine($"streams open          {opened} of {clients} after {clock.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(hold);
        var during = ResidentMegabytes(pid);
        await stop.CancelAsync();
        await Task.WhenAll(streams.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
        Console.WriteLine($"receiver RSS MB       before {before:F0}  with {opened} idle streams {during:F0}  growth {during - before:F0}");
        return opened == clients ? 0 : 1;
    }

    /// <summary>The resident memory of a process (VmRSS), in MB.</summary>
    internal static double ResidentMegabytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
