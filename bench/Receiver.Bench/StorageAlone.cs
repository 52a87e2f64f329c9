using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Receiver.Feed;
using Receiver.Ingest;
using Receiver.Storage;

namespace Receiver.Bench;

/// <summary>
/// The receiver's own write of one event, called in a loop by each client with no HTTP, authentication or validation
/// in front of it: what PostgreSQL allows the ingest path at best, beside the plain insert pgbench measures. With
/// <c>--path store</c> (the default) each call is one EventStore batch (sequence lock, event row, state, in one round
/// trip); with <c>--path writer</c> calls go through the group-commit EventWriter and its feed announcement, as
/// requests do, so concurrent clients share commits.
/// </summary>
internal static class StorageAlone
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var seconds = arguments.Number("seconds", 15);
        var clients = arguments.Number("clients", 1);
        var transactions = arguments.Number("transactions", 100_000);
        var throughWriter = arguments.Choice("path", "store", "writer") == "writer";
        await using var receiver = ReceiverWiring.Build(arguments.Text("connection"));
        var store = receiver.Services.GetRequiredService<EventStore>();
        var writer = receiver.Services.GetRequiredService<EventWriter>();
        if (throughWriter) await writer.StartAsync(CancellationToken.None);
        Func<EventRow, Task<bool>> write = throughWriter
            ? row => writer.InsertAsync(row, CancellationToken.None)
            : async row => (await store.InsertBatchAsync([row], CancellationToken.None))[0] is not null;

        var template = Template();
        var run = Guid.NewGuid().ToString("N")[..8];
        var stored = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var n = 0; clock.Elapsed.TotalSeconds < seconds; n++)
            {
                var now = DateTimeOffset.UtcNow;
                var facts = template.Facts with { Id = $"bench-tx-{(n * 7919 + client) % transactions}", UpdatedAt = now };
                var row = template.Row with { Id = $"{run}-{client}-{n}", Subject = facts, ReceivedAt = now };
                if (await write(row)) Interlocked.Increment(ref stored);
            }
        })));
        Console.WriteLine($"{stored / clock.Elapsed.TotalSeconds:F0}");
        if (throughWriter) await writer.StoppedAsync(CancellationToken.None);
        return 0;
    }

    internal static (EventRow Row, TransactionFacts Facts) Template()
    {
        var body = ApTraffic.Sep31Event("template", "template", DateTimeOffset.UtcNow);
        var transaction = JsonNode.Parse(body)!["payload"]!["transaction"]!;
        var facts = new TransactionFacts("template", "31", "receive", "pending_receiver",
            DateTimeOffset.Parse((string)transaction["started_at"]!), null, Encoding.UTF8.GetBytes(transaction.ToJsonString()),
            [(string)transaction["amount_in"]!["asset"]!], [(string)transaction["creator"]!["account"]!],
            [(string)transaction["customers"]!["sender"]!["id"]!, (string)transaction["customers"]!["receiver"]!["id"]!]);
        return (new EventRow("template", "transaction_status_changed", facts, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes(body), DateTimeOffset.UtcNow, EventSources.Ap), facts);
    }
}
