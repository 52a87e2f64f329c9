using Receiver.Http;

namespace Receiver.Query;

// What the query API answers, in AP's snake_case names (see QueryEndpoints' JSON options).

/// <summary>One page of transactions, each the newest snapshot as AP sent it.</summary>
public sealed record TransactionPage(IReadOnlyList<RawJson> Data, string? NextCursor, int Limit);

/// <summary>One page of quotes, each as AP sent it in <c>quote_created</c>.</summary>
public sealed record QuotePage(IReadOnlyList<RawJson> Data, string? NextCursor, int Limit);

public sealed record RejectedEventPage(IReadOnlyList<RejectedEventSummary> Data, string? NextCursor, int Limit);

/// <summary>A transaction's events, oldest first.</summary>
public sealed record TransactionTimeline(IReadOnlyList<TimelineEntry> Data);

/// <summary>
/// One event of a transaction: <c>updated_at</c> is the snapshot's (what orders the timeline), <c>timestamp</c> AP's
/// send attempt (a callback's signature time), <c>received_at</c> ours; <c>source</c> <c>ap</c>, <c>reconciliation</c>
/// for an event made from AP's Platform API, or <c>callback</c> for a wallet's callback from <c>anchor</c> (null for
/// the receiver's own AP).
/// </summary>
public sealed record TimelineEntry(
    long SequenceNumber, string Id, string Type, string? Status, DateTimeOffset? UpdatedAt, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt,
    string Source, string? Anchor);

/// <summary>
/// What we know of a customer (AP's <c>customer_updated</c> carries only the id), with one page of the ids of its
/// transactions, oldest <c>started_at</c> first, and how many there are in all.
/// </summary>
public sealed record CustomerSummary(
    string Id, DateTimeOffset FirstSeenAt, DateTimeOffset? LastUpdatedAt, int UpdateCount, long TransactionCount,
    IReadOnlyList<string> TransactionIds, string? NextCursor, int Limit);

public sealed record RejectedEventSummary(
    long Id, string? EventId, string? EventType, string Reason, RawJson Errors, int Attempts,
    DateTimeOffset FirstReceivedAt, DateTimeOffset LastReceivedAt, DateTimeOffset? ReplayedAt, string? ReplayOutcome);

/// <summary>A rejected event with its body: as text, and byte for byte in base64 (it may not even be UTF-8).</summary>
public sealed record RejectedEventDetail(
    long Id, string? EventId, string? EventType, string Reason, RawJson Errors, int Attempts,
    DateTimeOffset FirstReceivedAt, DateTimeOffset LastReceivedAt, DateTimeOffset? ReplayedAt, string? ReplayOutcome,
    string Body, string BodyBase64);

/// <summary>
/// What a replay did: <c>stored</c>, <c>redelivered</c> (already stored), <c>conflicting_duplicate</c> or
/// <c>invalid</c> (with the problems, keyed by JSON path as on <c>/event</c>).
/// </summary>
public sealed record ReplayResult(long RejectedEventId, string? EventId, string Outcome, IReadOnlyDictionary<string, string[]> Errors);
