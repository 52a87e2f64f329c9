namespace Receiver.Storage.Schema;

/// <summary>
/// One accepted event, stored once under AP's event id. Besides the body it keeps what the event said about its
/// subject, so the state as of any point of the sequence can be read back (consistent pagination, timelines).
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class StoredEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }

    /// <summary>Our order of the events: assigned at commit under a lock, so it becomes visible in order.</summary>
    public long Seq { get; init; }

    public string? TransactionId { get; init; }
    public string? QuoteId { get; init; }
    public string? CustomerId { get; init; }

    public string? Sep { get; init; }
    public string? Kind { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary><c>updated_at</c>, else <c>started_at</c>: what "newest" means for a transaction snapshot.</summary>
    public DateTimeOffset? OrderKey { get; init; }

    public string[]? Assets { get; init; }
    public string[]? Accounts { get; init; }
    public string[]? CustomerIds { get; init; }

    /// <summary>The envelope's <c>timestamp</c>: AP's send attempt, not when the event happened.</summary>
    public DateTimeOffset EventTimestamp { get; init; }

    /// <summary>The request body exactly as AP sent it, kept for audit.</summary>
    public required byte[] Body { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Who told us: <c>ap</c> (delivered by AP) or <c>reconciliation</c> (made from AP's Platform API).</summary>
    public string Source { get; init; } = EventSources.Ap;

    /// <summary>
    /// The anchor whose subject this is: empty for the receiver's own AP, else the name a wallet gave the anchor whose
    /// callback this is. Subjects are keyed per anchor, as each anchor makes its own ids.
    /// </summary>
    public string Anchor { get; init; } = "";
}
