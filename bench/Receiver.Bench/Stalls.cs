using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Receiver.Bench;

/// <summary>
/// What happens while a sequential request stalls (issue 18): POSTs AP events one at a time, as AP does, and records
/// each request's start and duration; meanwhile reads the receiver's runtime events live over EventPipe (GC pauses with
/// their generation, thread-pool adjustments, lock contention, JIT) and afterwards PostgreSQL's log (checkpoints,
/// autovacuum and autoanalyze, logged with their duration). A stall is a request slower than --factor times the
/// median; each is matched with whatever of those overlapped it, the client's own GC pauses during it, and the
/// machine's pressure (Linux PSI): how long, during the request, some task waited for a CPU, or for I/O, and whether
/// the hypervisor took a CPU away (steal time, counted in ticks of 10 ms).
/// </summary>
internal static partial class Stalls
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var seconds = args.Number("seconds", 60);
        var secret = args.Text("secret");
        var factor = args.Number("factor", 5);
        var runtime = new RuntimeEvents(args.Number("pid", 0));

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = new Uri(args.Text("post")) };
        var transactions = Enumerable.Range(0, 10_000).Select(_ => Guid.NewGuid().ToString()).ToArray();
        var requests = new List<Request>(seconds * 3000);
        var failures = 0;
        async Task RunForAsync(TimeSpan length, List<Request>? recorded)
        {
            var until = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
            for (var n = 0; Stopwatch.GetTimestamp() < until; n++)
            {
                var body = ApTraffic.Sep31Event(Guid.NewGuid().ToString(), transactions[n % transactions.Length], DateTimeOffset.UtcNow);
                using var request = ApTraffic.Post(secret, body);
                var clientPause = GC.GetTotalPauseDuration();
                var (cpuWait, ioWait, steal) = (Pressure.Total("cpu"), Pressure.Total("io"), Pressure.StealTicks());
                var started = DateTime.UtcNow;
                var clock = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request);
                var elapsed = Stopwatch.GetElapsedTime(clock);
                if (response.StatusCode != HttpStatusCode.OK) failures++;
                recorded?.Add(new Request(started, elapsed, GC.GetTotalPauseDuration() - clientPause,
                    Pressure.Total("cpu") - cpuWait, Pressure.Total("io") - ioWait, Pressure.StealTicks() - steal));
            }
        }

        await RunForAsync(TimeSpan.FromSeconds(5), recorded: null);
        runtime.Start();
        await RunForAsync(TimeSpan.FromSeconds(seconds), requests);
        var events = runtime.Stop();
        if (args.Has("pg-log")) events.AddRange(PostgresEvents(args.Text("pg-log")));

        Report(requests, failures, events, factor);
        return failures == 0 ? 0 : 1;
    }

    /// <param name="CpuWait">How long some task on the machine waited for a CPU meanwhile (PSI "some"), from just
    /// before the request to just after it.</param>
    /// <param name="IoWait">The same for I/O.</param>
    /// <param name="StealTicks">Ticks of CPU time the hypervisor gave other guests meanwhile (/proc/stat).</param>
    private readonly record struct Request(
        DateTime Started, TimeSpan Elapsed, TimeSpan ClientGcPause, TimeSpan CpuWait, TimeSpan IoWait, long StealTicks)
    {
        public DateTime Ended => Started + Elapsed;
    }

    /// <summary>Linux pressure stall information: the cumulative time some task waited for a resource.</summary>
    private static class Pressure
    {
        public static TimeSpan Total(string resource)
        {
            var some = File.ReadLines($"/proc/pressure/{resource}").First();
            return TimeSpan.FromMicroseconds(long.Parse(some[(some.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture));
        }

        /// <summary>The eighth figure of /proc/stat's <c>cpu</c> line: steal, in clock ticks, over all CPUs.</summary>
        public static long StealTicks() =>
            long.Parse(File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[8], CultureInfo.InvariantCulture);
    }

    /// <summary>Something that happened over [Start, End]: a kind (what a stall is attributed to) and its details.</summary>
    private sealed record Happening(string Kind, DateTime Start, DateTime End, string Detail);

    private static void Report(List<Request> requests, int failures, List<Happening> events, int factor)
    {
        var sorted = requests.Select(r => r.Elapsed.TotalMilliseconds).Order().ToList();
        double At(double percent) => FeedLatency.Percentile(sorted, percent);
        var threshold = factor * At(50);
        Console.WriteLine($"{requests.Count} requests, {failures} not 200; ms: p50 {At(50):F2}, p90 {At(90):F2}, p99 {At(99):F2}, " +
                          $"p99.9 {At(99.9):F2}, max {sorted[^1]:F2}; p99 / p50 {At(99) / At(50):F1}");

        var stalls = requests.Where(r => r.Elapsed.TotalMilliseconds > threshold).ToList();
        Console.WriteLine($"stalls (slower than {factor} × p50 = {threshold:F2} ms): {stalls.Count}, " +
                          $"{stalls.Sum(s => s.Elapsed.TotalMilliseconds - At(50)):F0} ms beyond the median in all");
        var kinds = events.Select(e => e.Kind).Distinct().Order().ToList();
        Console.WriteLine("what overlapped them (a stall may have several):");
        Console.WriteLine("| overlapping | stalls | requests not stalled | events in the run |");
        Console.WriteLine("|---|---|---|---|");
        var overlapping = stalls.ToDictionary(s => s, s => events.Where(e => e.Start <= s.Ended && e.End >= s.Started).ToList());
        foreach (var kind in kinds)
        {
            var ofKind = events.Where(e => e.Kind == kind).ToList();
            var quiet = requests.Count(r => r.Elapsed.TotalMilliseconds <= threshold && ofKind.Any(e => e.Start <= r.Ended && e.End >= r.Started));
            Console.WriteLine($"| {kind} | {stalls.Count(s => overlapping[s].Any(e => e.Kind == kind))} | {quiet} | {ofKind.Count} |");
        }
        bool ClientGc(Request r) => r.ClientGcPause > TimeSpan.Zero;
        bool CpuBound(Request r) => r.CpuWait >= r.Elapsed / 2;
        bool IoBound(Request r) => r.IoWait >= r.Elapsed / 2;
        Console.WriteLine($"| the load generator's own GC pause | {stalls.Count(ClientGc)} | {requests.Count(r => !stalls.Contains(r) && ClientGc(r))} | |");
        Console.WriteLine($"| machine: some task waited for a CPU for half the request or more | {stalls.Count(CpuBound)} | {requests.Count(r => !stalls.Contains(r) && CpuBound(r))} | |");
        Console.WriteLine($"| machine: some task waited for I/O for half the request or more | {stalls.Count(IoBound)} | {requests.Count(r => !stalls.Contains(r) && IoBound(r))} | |");
        bool Stolen(Request r) => r.StealTicks > 0;
        Console.WriteLine($"| machine: the hypervisor took a CPU (steal) | {stalls.Count(Stolen)} | {requests.Count(r => !stalls.Contains(r) && Stolen(r))} | |");
        Console.WriteLine($"| none of the above | {stalls.Count(s => overlapping[s].Count == 0 && !ClientGc(s) && !CpuBound(s) && !IoBound(s) && !Stolen(s))} | | |");
        Console.WriteLine($"CPU wait (PSI) per request, median: {Median(stalls, r => r.CpuWait):F2} ms in stalls, {Median(requests, r => r.CpuWait):F2} ms in all; " +
                          $"I/O wait: {Median(stalls, r => r.IoWait):F2} and {Median(requests, r => r.IoWait):F2} ms");

        Console.WriteLine("the 10 slowest:");
        foreach (var stall in stalls.OrderByDescending(s => s.Elapsed).Take(10))
        {
            var what = overlapping[stall].Select(e => $"{e.Kind} ({e.Detail})").Distinct().Take(4).ToList();
            if (stall.ClientGcPause > TimeSpan.Zero) what.Add($"client GC {stall.ClientGcPause.TotalMilliseconds:F1} ms");
            what.Add($"CPU wait {stall.CpuWait.TotalMilliseconds:F1} ms, I/O wait {stall.IoWait.TotalMilliseconds:F1} ms, steal {stall.StealTicks} ticks");
            Console.WriteLine($"  {stall.Started:HH:mm:ss.fff} {stall.Elapsed.TotalMilliseconds,8:F2} ms  {string.Join("; ", what)}");
        }
    }

    private static double Median(List<Request> requests, Func<Request, TimeSpan> value) =>
        requests.Count == 0 ? 0 : requests.Select(r => value(r).TotalMilliseconds).Order().ElementAt(requests.Count / 2);

    /// <summary>The receiver's runtime events over EventPipe, collected from <see cref="Start"/> to <see cref="Stop"/>.</summary>
    private sealed class RuntimeEvents(int pid)
    {
        private const ClrTraceEventParser.Keywords Keywords =
            ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Threading | ClrTraceEventParser.Keywords.Contention
            | ClrTraceEventParser.Keywords.Jit;

        private readonly List<Happening> _events = [];
        private EventPipeSession? _session;
        private Task? _reading;

        public void Start()
        {
            _session = new DiagnosticsClient(pid).StartEventPipeSession(
                [new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)Keywords)], requestRundown: false);
            var source = new EventPipeEventSource(_session.EventStream);
            DateTime? suspended = null;
            var generation = -1;
            var reason = "";
            source.Clr.GCSuspendEEStart += e => suspended = e.TimeStamp.ToUniversalTime();
            source.Clr.GCStart += e => (generation, reason) = (e.Depth, e.Reason.ToString());
            source.Clr.GCRestartEEStop += e =>
            {
                if (suspended is not { } start) return;
                var end = e.TimeStamp.ToUniversalTime();
                Add(new Happening($"receiver GC pause, gen {Math.Max(generation, 0)}", start, end,
                    $"gen {Math.Max(generation, 0)} {reason} {(end - start).TotalMilliseconds:F1} ms"));
                (suspended, generation) = (null, -1);
            };
            source.Clr.ThreadPoolWorkerThreadAdjustmentAdjustment += e =>
                Add(Instant("receiver thread pool adjusted", e.TimeStamp, $"{e.NewWorkerThreadCount} threads, {e.Reason}"));
            source.Clr.ThreadPoolWorkerThreadStart += e => Add(Instant("receiver thread pool thread started", e.TimeStamp, ""));
            source.Clr.ContentionStart += e => Add(Instant("receiver lock contention", e.TimeStamp, ""));
            source.Clr.MethodLoadVerbose += e => Add(Instant("receiver JIT", e.TimeStamp, $"{e.MethodNamespace}.{e.MethodName}"));
            _reading = Task.Run(source.Process);
        }

        public List<Happening> Stop()
        {
            _session?.Stop();
            _reading?.Wait(TimeSpan.FromSeconds(30));
            _session?.Dispose();
            lock (_events) return [.. _events];
        }

        private void Add(Happening happening)
        {
            lock (_events) _events.Add(happening);
        }

        private static Happening Instant(string kind, DateTime at, string detail) =>
            new(kind, at.ToUniversalTime(), at.ToUniversalTime(), detail);
    }

    /// <summary>
    /// Checkpoints (start to complete, and the sync phase at their end) and autovacuum and autoanalyze runs (logged at
    /// their end with their duration), from a log written with <c>log_line_prefix = '%m '</c>, <c>log_checkpoints</c>
    /// and <c>log_autovacuum_min_duration = 0</c>.
    /// </summary>
    private static IEnumerable<Happening> PostgresEvents(string path)
    {
        var entries = new List<(DateTime At, string Text)>();
        foreach (var line in File.ReadLines(path))
        {
            var match = LogPrefix().Match(line);
            if (match.Success)
                entries.Add((DateTime.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), line));
            else if (entries.Count > 0)
                entries[^1] = (entries[^1].At, entries[^1].Text + "\n" + line);
        }

        DateTime? checkpointStarted = null;
        foreach (var (at, text) in entries)
        {
            if (text.Contains("checkpoint starting", StringComparison.Ordinal)) checkpointStarted = at;
            else if (text.Contains("checkpoint complete", StringComparison.Ordinal))
            {
                if (checkpointStarted is { } start) yield return new Happening("PostgreSQL checkpoint", start, at, "");
                var sync = Seconds(SyncTime().Match(text));
                if (sync > 0) yield return new Happening("PostgreSQL checkpoint sync phase", at.AddSeconds(-sync), at, $"sync {sync:F3} s");
                checkpointStarted = null;
            }
            else if (AutovacuumTable().Match(text) is { Success: true } table)
            {
                var elapsed = Seconds(Elapsed().Match(text));
                yield return new Happening($"PostgreSQL autovacuum/analyze of {table.Groups[2].Value}", at.AddSeconds(-elapsed), at,
                    $"{table.Groups[1].Value} {elapsed:F2} s");
            }
        }
    }

    private static double Seconds(Match match) =>
        match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC ")]
    private static partial Regex LogPrefix();

    [GeneratedRegex(@"sync=(\d+\.\d+) s")]
    private static partial Regex SyncTime();

    [GeneratedRegex(@"automatic (vacuum|analyze) of table ""[^.""]+\.[^.""]+\.([^""]+)""")]
    private static partial Regex AutovacuumTable();

    [GeneratedRegex(@"elapsed: (\d+\.\d+) s")]
    private static partial Regex Elapsed();
}
