namespace Receiver.Storage;

/// <param name="Body">The bytes as sent, in an array of the row's own: a queued row outlives its request.</param>
/// <param name="Source">An <see cref="EventSources"/> value.</param>
/// <param name="Anchor">Whose subject: <see cref="Anchors.Own"/>, or the anchor a wallet's callback came from.</param>
internal readonly record struct EventRow(
    string Id, string Type, SubjectFacts Subject, DateTimeOffset EventTimestamp, byte[] Body, DateTimeOffset ReceivedAt,
    string Source, string Anchor = Anchors.Own);

internal readonly record struct RejectedRow(
    string? EventId, string? EventType, string Reason, string ErrorsJson,
    byte[] Body, byte[] Fingerprint, DateTimeOffset ReceivedAt);

/// <summary>The values of <see cref="EventRow.Source"/> (the <c>source</c> column of <c>events</c>).</summary>
public static class EventSources
{
    public const string Ap = "ap";
    public const string Reconciliation = "reconciliation";

    /// <summary>A wallet's callback from one of its anchors, verified by the anchor's signature; its body is the SEP's response, not AP's event.</summary>
    public const string Callback = "callback";
}

/// <summary>The <c>anchor</c> column of <c>events</c>, <c>transactions</c> and <c>customers</c>: each anchor makes its own ids.</summary>
public static class Anchors
{
    /// <summary>The receiver's own AP, which posts to <c>/event</c> and whose Platform API reconciliation reads.</summary>
    public const string Own = "";

    /// <summary>An anchor as the APIs say it: null for the receiver's own AP, which has no name.</summary>
    public static string? Named(string anchor) => anchor == Own ? null : anchor;
}

/// <summary>The values of <see cref="RejectedRow.Reason"/> (the <c>reason</c> column of <c>rejected_events</c>).</summary>
public static class RejectionReasons
{
    public const string Invalid = Outcomes.Invalid;
    public const string ConflictingDuplicate = Outcomes.ConflictingDuplicate;
}

/// <summary>
/// What became of an event, by one name everywhere: logs, the <c>outcome</c> of <c>receiver.events.received</c>, a
/// replay's answer and the <c>replay_outcome</c> column of <c>rejected_events</c>.
/// </summary>
public static class Outcomes
{
    public const string Stored = "stored";

    /// <summary>Already stored, with the same payload: AP delivered it again.</summary>
    public const string Redelivered = "redelivered";

    public const string ConflictingDuplicate = "conflicting_duplicate";

    /// <summary>Invalid, answered <c>400</c> (<c>Ingest:OnInvalid=reject</c>).</summary>
    public const string Rejected = "rejected";

    /// <summary>Invalid, answered <c>200</c> (<c>Ingest:OnInvalid=park</c>).</summary>
    public const string Parked = "parked";

    /// <summary>A replay of a rejected event that is still invalid (replays answer, never refuse).</summary>
    public const string Invalid = "invalid";
}

/// <summary>
/// What an accepted event tells about its subject, read from the validated parse. <see cref="Id"/> keys the subject's
/// state; null when the event names none Receiver can key (see <see cref="StorageLimits.IsStorableIdentifier"/>).
/// </summary>
internal abstract record SubjectFacts(string? Id);

/// <summary>A transaction snapshot, with the columns that order and filter the state.</summary>
/// <param name="Snapshot">
/// The transaction's JSON as AP sent it, UTF-8: a slice of the event's body, which it shares rather than copies.
/// </param>
internal sealed record TransactionFacts(
    string Id, string Sep, string Kind, string Status, DateTimeOffset StartedAt, DateTimeOffset? UpdatedAt,
    ReadOnlyMemory<byte> Snapshot, string[] Assets, string[] Accounts, string[] CustomerIds) : SubjectFacts(Id)
{
    private readonly DateTimeOffset? _orderKey;

    /// <summary>
    /// What "newest" compares: <c>updated_at</c>, falling back to <c>started_at</c>, unless the source of the snapshot
    /// knows better (a wallet's callback without <c>updated_at</c> is ordered by when the anchor signed it).
    /// </summary>
    public DateTimeOffset OrderKey
    {
        get => _orderKey ?? UpdatedAt ?? StartedAt;
        init => _orderKey = value;
    }
}

/// <param name="Snapshot">The quote's JSON as AP sent it, UTF-8: a slice of the event's body.</param>
internal sealed record QuoteFacts(
    string? Id, string? SellAsset, string? BuyAsset, DateTimeOffset? CreatedAt, DateTimeOffset? ExpiresAt,
    ReadOnlyMemory<byte> Snapshot)
    : SubjectFacts(Id);

internal sealed record CustomerFacts(string? Id) : SubjectFacts(Id);
