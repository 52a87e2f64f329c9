namespace Receiver.Storage.Schema;

/// <summary>
/// A body we did not accept as an event, kept verbatim so nothing AP sent is ever lost.
/// AP retries a refused event forever, so repeats of the same rejection are counted on one row.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class RejectedEvent
{
    public long Id { get; init; }
    public string? EventId { get; init; }
    public string? EventType { get; init; }
    public required string Reason { get; init; }

    /// <summary>JSON object: dotted path of each offending field to its messages.</summary>
    public required string Errors { get; init; }

    public required byte[] Body { get; init; }

    /// <summary>SHA-256 over the envelope without its per-attempt <c>timestamp</c>: equal for AP's retries of one event.</summary>
    public required byte[] Fingerprint { get; init; }

    /// <summary>
    /// The first instant (UTC) of the month its first attempt arrived in: the partition key, and part of the unique
    /// key, so a repeat in a later month is a row of its own and a month's rows all end within it (expiring a month is
    /// dropping its partition).
    /// </summary>
    public DateTimeOffset ReceivedMonth { get; init; }

    public int Attempts { get; init; }
    public DateTimeOffset FirstReceivedAt { get; init; }
    public DateTimeOffset LastReceivedAt { get; init; }

    /// <summary>When it was last run through ingest again, and with which outcome.</summary>
    public DateTimeOffset? ReplayedAt { get; init; }
    public string? ReplayOutcome { get; init; }
}
