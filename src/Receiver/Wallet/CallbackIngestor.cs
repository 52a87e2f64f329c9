using Receiver.Ingest;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Wallet;

/// <summary>
/// Stores a verified callback once, as an event of its anchor, through the ingest path. What the callback itself
/// cannot say, its subject's stored callbacks do: whether it is another attempt of the last one, and which SEP the
/// transaction belongs to (the URL it came to is not signed).
/// </summary>
internal sealed class CallbackIngestor(EventIngestor ingestor, ResilientDatabase database)
{
    /// <summary>
    /// How far apart two attempts of one callback are signed. AP makes an attempt after one that failed 1 s, then 1 to
    /// 2 s later (ClientStatusCallbackProcessor@4.3.0); an attempt after one this receiver stored is one whose answer AP
    /// did not get, and comes as soon. A callback that says what an earlier one said, signed further apart, is another
    /// callback: a SEP-12 customer updated again, a transaction back in a status it had.
    /// </summary>
    internal static readonly TimeSpan AttemptsWithin = TimeSpan.FromSeconds(30);

    /// <summary>How many of the subject's last callbacks an unkeyed one is compared with.</summary>
    private const int Compared = 20;

    public async Task<IngestOutcome> IngestAsync(IncomingCallback callback, EventRow row, CancellationToken cancellationToken)
    {
        var (storedSep, recent) = await SubjectAsync(row, cancellationToken);
        if (row.Subject is TransactionFacts transaction && storedSep is not null && storedSep != transaction.Sep)
            return new IngestOutcome(IngestResult.Rejected, row.Id, new Dictionary<string, string[]>
            {
                ["transaction.id"] = [$"is a SEP-{storedSep} transaction of this anchor, and this callback came to its SEP-{transaction.Sep} URL"],
            });
        if (!callback.Keyed)
        {
            // An attempt of a stored callback, even one that arrives after a later callback of the subject (AP does not
            // keep their order).
            if (recent.FirstOrDefault(stored => (row.EventTimestamp - stored.SignedAt).Duration() <= AttemptsWithin
                                                && callback.IsRedeliveryOf(stored.Body)) is { } attempted)
                return new IngestOutcome(IngestResult.Redelivered, attempted.Id, IncomingEvent.NoErrors);
            row = callback.After(row, recent.FirstOrDefault()?.Id);
        }

        var outcome = await ingestor.IngestCallbackAsync(row, callback, cancellationToken);
        // The same transaction, status and updated_at, but other content: a callback of its own, not to be dropped.
        return outcome.Result == IngestResult.ConflictingDuplicate
            ? await ingestor.IngestCallbackAsync(callback.Alternative(row), callback, cancellationToken)
            : outcome;
    }

    private sealed record StoredCallback(string Id, byte[] Body, DateTimeOffset SignedAt);

    /// <summary>
    /// The SEP of the stored transaction, and the subject's last callbacks, newest first. <c>anchor &lt;&gt; ''</c> is said
    /// for the partial indexes of a wallet's events, which a prepared statement's generic plan would otherwise not use.
    /// </summary>
    private async Task<(string? Sep, List<StoredCallback> Recent)> SubjectAsync(EventRow row, CancellationToken cancellationToken)
    {
        if (row.Subject.Id is not { } id) return (null, []);
        var (sep, subject) = row.Subject is TransactionFacts
            ? ("(SELECT sep FROM transactions WHERE id = $1 AND anchor = $2)", "transaction_id")
            : ("NULL::text", "customer_id");
        var found = await database.ListAsync(
            $"""
             SELECT {sep}, e.id, e.body, e.event_timestamp
             FROM (SELECT 1) one
             LEFT JOIN LATERAL (
                 SELECT id, body, event_timestamp FROM events
                 WHERE {subject} = $1 AND anchor = $2 AND anchor <> '{Anchors.Own}' AND source = '{EventSources.Callback}'
                 ORDER BY seq DESC LIMIT {Compared}
             ) e ON true
             """,
            [Value(id), Value(row.Anchor)],
            reader => (Sep: reader.IsDBNull(0) ? null : reader.GetString(0),
                       Callback: reader.IsDBNull(1) ? null : new StoredCallback(reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<DateTimeOffset>(3))),
            cancellationToken);
        return (found[0].Sep, [.. found.Select(found => found.Callback).OfType<StoredCallback>()]);
    }
}
