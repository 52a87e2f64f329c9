using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Extensions.Options;
using Receiver.Ingest;
using Receiver.Ingest.Validation;

namespace Receiver.Bench;

/// <summary>
/// Where the bytes of bench/micro's two operations go: bytes per operation, and the types allocated, as the runtime
/// samples them (one <c>GCAllocationTick</c> event per about 100 KB, naming the type that crossed the mark), so a
/// type's share of the samples is about its share of the bytes. BenchmarkDotNet gives the total only.
/// </summary>
internal static class AllocationSample
{
    public static async Task<int> RunAsync(string[] args)
    {
        Func<Task> operation;
        switch (args.FirstOrDefault())
        {
            case "parse-and-validate":
                var body = Micro.Sep31Event();
                var validator = new EventValidator(Options.Create(new IngestOptions()));
                operation = () =>
                {
                    using var incoming = IncomingEvent.Parse(body, validator, Micro.DefaultPersonalData);
                    return Task.CompletedTask;
                };
                break;
            case "validate":
                var parsed = System.Text.Json.JsonDocument.Parse(Micro.Sep31Event());
                var validatorAlone = new EventValidator(Options.Create(new IngestOptions()));
                operation = () =>
                {
                    validatorAlone.Validate(new EventView(parsed.RootElement));
                    return Task.CompletedTask;
                };
                break;
            case "token":
                var token = new CallbackTokenBenchmarks();
                token.Setup();
                operation = token.CheckToken;
                break;
            case "--pid":
                return await RunningAsync(int.Parse(args[1]), args.Length > 3 && args[2] == "--seconds" ? int.Parse(args[3]) : 5);
            default:
                Console.Error.WriteLine("usage: Receiver.Bench allocations parse-and-validate|token|--pid PID [--seconds 5]");
                return 2;
        }

        // Past tiering, so the JIT's own allocations are not counted.
        for (var i = 0; i < 50_000; i++) await operation();
        const int measured = 10_000;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < measured; i++) await operation();
        Console.WriteLine($"{(GC.GetTotalAllocatedBytes(precise: true) - before) / measured} bytes per operation");

        using var ticks = new AllocationTicks();
        for (var i = 0; i < 100_000; i++) await operation();
        Print(ticks.ByType());
        return 0;
    }

    /// <summary>The types a running receiver allocates while a load runs against it, read over EventPipe.</summary>
    private static async Task<int> RunningAsync(int pid, int seconds)
    {
        var counts = new Dictionary<string, int>();
        using var session = new DiagnosticsClient(pid).StartEventPipeSession(
            [new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC)], requestRundown: false);
        var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCAllocationTick += e => counts[e.TypeName] = counts.GetValueOrDefault(e.TypeName) + 1;
        var reading = Task.Run(source.Process);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        await session.StopAsync(CancellationToken.None);
        await reading;
        Print([.. counts.Select(pair => (pair.Key, pair.Value))]);
        return 0;
    }

    private static void Print(List<(string Type, int Count)> samples)
    {
        var total = samples.Sum(sample => sample.Count);
        Console.WriteLine($"{total} samples; types by share:");
        foreach (var (type, count) in samples.OrderByDescending(sample => sample.Count).Take(25))
            Console.WriteLine($"{100.0 * count / total,5:F1} %  {type}");
    }

    private sealed class AllocationTicks : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly Dictionary<string, int> _counts = [];

        public List<(string Type, int Count)> ByType()
        {
            lock (_counts) return [.. _counts.Select(pair => (pair.Key, pair.Value))];
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true) return;
            var type = e.Payload?[e.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
            lock (_counts) _counts[type] = _counts.GetValueOrDefault(type) + 1;
        }
    }
}
