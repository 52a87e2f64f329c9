using System.Text.Json;
using Microsoft.Extensions.Options;
using Receiver.AnchorPlatform;
using Receiver.Ingest;
using Receiver.Telemetry;

namespace Receiver.Reconciliation;

/// <summary>
/// One pass over what AP holds: for each SEP, the transactions created within <c>Reconciliation:Lookback</c> (AP
/// can list by creation only, not by update) and every transaction we hold in a status that may still change.
/// Where AP's snapshot is newer than ours, or we never saw the transaction, it stores an event made from that
/// snapshot through ingest, the same exactly-once path as AP's own events.
/// </summary>
internal sealed partial class Reconciler(
    IPlatformApi platform, ReconciliationStore store, EventIngestor ingestor, IOptions<ReconciliationOptions> options,
    TimeProvider clock, ILogger<Reconciler> logger)
{
    public async Task RunAsync(RunTally tally, CancellationToken cancellationToken)
    {
        var createdSince = clock.GetUtcNow() - options.Value.Lookback;
        foreach (var sep in Seps.All)
        {
            try
            {
                var seen = await ReconcileRecentAsync(sep, createdSince, tally, cancellationToken);
                await ReconcileOpenAsync(sep, seen, tally, cancellationToken);
            }
            catch (PlatformApiException e)
            {
                tally.Error($"SEP-{sep}: {e.Message}");
                if (e.Unreachable) return;
            }
        }
    }

    /// <summary>
    /// AP's transactions of one SEP created since <paramref name="createdSince"/>, page by page. Newest first: a
    /// transaction created during the walk shifts the later pages by one, which repeats a row rather than skipping one.
    /// </summary>
    private async Task<HashSet<string>> ReconcileRecentAsync(string sep, DateTimeOffset createdSince, RunTally tally, CancellationToken cancellationToken)
    {
        var pageSize = options.Value.PageSize;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 0; ; page++)
        {
            var records = await platform.ListAsync(sep, page, pageSize, cancellationToken);
            var snapshots = Readable(records, tally);
            var inWindow = snapshots.Where(s => s.StartedAt >= createdSince).ToList();
            var fresh = inWindow.Where(s => seen.Add(s.Id)).ToList();
            if (inWindow.Count > 0 && fresh.Count == 0)
                throw new PlatformApiException($"page {page} of SEP-{sep}'s transactions repeated transactions of earlier pages; the listing stopped there.");

            var ours = await store.OrderKeysAsync([.. fresh.Select(s => s.Id)], cancellationToken);
            foreach (var snapshot in fresh)
                await CompareAsync(snapshot, ours.TryGetValue(snapshot.Id, out var key) ? key : null, tally, cancellationToken);

            // AP's last page is the one shorter than page_size; older than the window, the rest is too.
            if (records.Count < pageSize || inWindow.Count < snapshots.Count) return seen;
        }
    }

    /// <summary>Ours still open that the listing did not show: created before the window, or unknown to AP.</summary>
    private async Task ReconcileOpenAsync(string sep, HashSet<string> seen, RunTally tally, CancellationToken cancellationToken)
    {
        foreach (var (id, ourKey) in await store.OpenTransactionsAsync(sep, cancellationToken))
        {
            if (seen.Contains(id)) continue;
            var lookup = await platform.GetAsync(id, cancellationToken);
            if (lookup.Transaction is not { } record)
            {
                tally.TransactionsChecked++;
                tally.Error($"transaction {id}: {lookup.Problem}, although we hold it.");
                continue;
            }
            if (Readable([record], tally) is not [var snapshot]) continue;
            if (snapshot.Id != id)
            {
                tally.TransactionsChecked++;
                tally.Error($"transaction {id}: asked for it, the Platform API answered transaction {snapshot.Id}; nothing was stored for it.");
                continue;
            }
            await CompareAsync(snapshot, ourKey, tally, cancellationToken);
        }
    }

    private static List<PlatformSnapshot> Readable(List<JsonElement> records, RunTally tally)
    {
        var snapshots = new List<PlatformSnapshot>(records.Count);
        foreach (var record in records)
        {
            if (PlatformSnapshot.Read(record, out var problem) is { } snapshot) snapshots.Add(snapshot);
            else
            {
                tally.TransactionsChecked++;
                tally.Error($"the Platform API answered {problem}; nothing was stored for it.");
            }
        }
        return snapshots;
    }

    private async Task CompareAsync(PlatformSnapshot snapshot, DateTimeOffset? ours, RunTally tally, CancellationToken cancellationToken)
    {
        tally.TransactionsChecked++;
        if (ours is { } key && !snapshot.IsNewerThan(key)) return;

        var body = ReconciledEvent.Build(snapshot, known: ours is not null, clock.GetUtcNow());
        var outcome = await ingestor.IngestReconciledAsync(body, cancellationToken);
        switch (outcome.Result)
        {
            case IngestResult.Stored:
                tally.GapsClosed++;
                LogGapClosed(logger, LogText.Escape(snapshot.Id), ours is null ? "missing" : "stale", outcome.EventId!);
                break;
            case IngestResult.Rejected or IngestResult.Parked:
                tally.Error($"transaction {snapshot.Id}: AP's snapshot is not a valid transaction " +
                            $"({string.Join(", ", outcome.Errors.Keys)}); nothing was stored for it.");
                break;
            // Redelivered or ConflictingDuplicate: the same gap was already closed under the same event id.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation: transaction {TransactionId} was {Gap}; stored event {EventId} from AP's Platform API")]
    private static partial void LogGapClosed(ILogger logger, string transactionId, string gap, string eventId);
}
