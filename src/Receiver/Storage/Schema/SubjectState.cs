namespace Receiver.Storage.Schema;

/// <summary>
/// The newest snapshot of one transaction: greatest <c>updated_at</c> (else <c>started_at</c>), ties to the later event.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class TransactionState
{
    /// <summary>Whose transaction: empty for the receiver's own AP, else the anchor a wallet's callback came from.</summary>
    public string Anchor { get; init; } = "";

    public required string Id { get; init; }
    public required string Sep { get; init; }
    public required string Kind { get; init; }
    public required string Status { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset OrderKey { get; init; }

    /// <summary>Sequence number of the event that set this state.</summary>
    public long HeadSeq { get; init; }
    public required string HeadEventId { get; init; }

    /// <summary><c>payload.transaction</c> of that event.</summary>
    public required string Snapshot { get; init; }

    public required string[] Assets { get; init; }
    public required string[] Accounts { get; init; }
    public required string[] CustomerIds { get; init; }
    public DateTimeOffset ChangedAt { get; init; }
}

/// <summary>
/// A quote from <c>quote_created</c>; quotes do not change after creation.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class QuoteState
{
    public required string Id { get; init; }
    public string? SellAsset { get; init; }
    public string? BuyAsset { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary><c>created_at</c>, else when we received it: the order of the quote list.</summary>
    public DateTimeOffset OrderKey { get; init; }

    public required string Snapshot { get; init; }
    public required string EventId { get; init; }

    /// <summary>Sequence number of that event: lists read as of a sequence number.</summary>
    public long Seq { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>
/// A customer: from <c>customer_updated</c> (which carries only the id) and from the ids transactions name.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class CustomerState
{
    /// <summary>Whose customer: empty for the receiver's own AP, else the anchor a wallet's callback came from.</summary>
    public string Anchor { get; init; } = "";

    public required string Id { get; init; }
    public DateTimeOffset FirstSeenAt { get; init; }
    public DateTimeOffset? LastUpdatedAt { get; init; }

    /// <summary>How many <c>customer_updated</c> events named this customer.</summary>
    public int UpdateCount { get; init; }
}
