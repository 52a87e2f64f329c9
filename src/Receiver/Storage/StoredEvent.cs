namespace Receiver.Storage;

/// <summary>One accepted event, stored once under AP's event id.</summary>
public sealed class StoredEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public string? TransactionId { get; init; }
    public string? QuoteId { get; init; }
    public string? CustomerId { get; init; }

    /// <summary>The request body exactly as AP sent it, kept for audit.</summary>
    public required byte[] Body { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }
}
