using System.Diagnostics;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Receiver.Ingest;
using Receiver.Ingest.Validation;
using Receiver.Storage;

namespace Receiver.Bench;

/// <summary>
/// Stores events [from, to) of <see cref="SizeTraffic"/>. With <c>--connection</c>, each body goes the way a posted one
/// does after HTTP and authentication: parsed and validated by the receiver's own <see cref="IncomingEvent"/>, made the
/// same <see cref="EventRow"/> as <see cref="EventIngestor"/> makes, and stored by the receiver's own
/// <see cref="EventStore.InsertBatchAsync"/> in batches of <c>--batch</c> (what EventWriter does with the requests of
/// one group commit, only larger). With <c>--post</c>, each body is POSTed to <c>/event</c> one at a time, as AP sends
/// them: the reference the loader is checked against.
/// </summary>
internal static class SizeLoad
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var from = arguments.Long("from", 0);
        var to = arguments.Long("to", 1_000_000);
        var clock = Stopwatch.StartNew();
        var stored = arguments.Has("post")
            ? await PostAsync(new Uri(arguments.Text("post")), arguments.Text("secret"), from, to)
            : await StoreAsync(arguments.Text("connection"), arguments.Number("batch", 2000), from, to);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"stored {stored} events ({from} to {to}) in {seconds:F0} s: {stored / seconds:F0} events/s");
        return stored == to - from ? 0 : 1;
    }

    private static async Task<long> StoreAsync(string connection, int batchSize, long from, long to)
    {
        await using var receiver = ReceiverWiring.Build(connection);
        var store = receiver.Services.GetRequiredService<EventStore>();
        var validator = new EventValidator(Options.Create(new IngestOptions()));

        // One task builds and validates rows while the other stores the previous batch.
        var batches = Channel.CreateBounded<List<EventRow>>(2);
        var producer = Task.Run(async () =>
        {
            var batch = new List<EventRow>(batchSize);
            foreach (var (index, text) in SizeTraffic.Events(from, to))
            {
                batch.Add(Row(validator, index, Encoding.UTF8.GetBytes(text)));
                if (batch.Count == batchSize)
                {
                    await batches.Writer.WriteAsync(batch);
                    batch = new List<EventRow>(batchSize);
                }
            }
            if (batch.Count > 0) await batches.Writer.WriteAsync(batch);
            batches.Writer.Complete();
        });

        long stored = 0, reported = from;
        var clock = Stopwatch.StartNew();
        await foreach (var batch in batches.Reader.ReadAllAsync())
        {
            var sequences = await store.InsertBatchAsync(batch, CancellationToken.None);
            stored += sequences.Count(seq => seq is not null);
            if (from + stored - reported >= 1_000_000)
            {
                reported = from + stored;
                Console.Error.WriteLine($"  {reported} events stored, {stored / clock.Elapsed.TotalSeconds:F0}/s");
            }
        }
        await producer;
        return stored;
    }

    /// <summary>The row EventIngestor makes of a body: the same parse, the same validation, the same facts.</summary>
    private static EventRow Row(EventValidator validator, long index, byte[] body)
    {
        using var incoming = IncomingEvent.Parse(body, validator, Micro.DefaultPersonalData);
        if (!incoming.IsValid)
            throw new InvalidOperationException($"event {index} is invalid: {string.Join("; ", incoming.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
        return new EventRow(incoming.Id!, incoming.Type!, incoming.Subject!, incoming.Timestamp, body, DateTimeOffset.UtcNow, EventSources.Ap);
    }

    private static async Task<long> PostAsync(Uri url, string secret, long from, long to)
    {
        using var client = new HttpClient { BaseAddress = url };
        long stored = 0;
        foreach (var (index, body) in SizeTraffic.Events(from, to))
        {
            using var response = await client.SendAsync(ApTraffic.Post(secret, body));
            if (response.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"event {index}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            stored++;
        }
        return stored;
    }
}
