namespace Receiver.Storage.Schema;

/// <summary>
/// A month of a partitioned table that retention dropped. For <c>events</c> it keeps the highest sequence number the
/// month held, so the feed can tell a reader whose next events are gone (410) from one that is only up to date.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class ExpiredPartition
{
    /// <summary>The partition's table name, e.g. <c>events_2026_01</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The highest sequence number the partition held; null when it held none.</summary>
    public long? LastSeq { get; init; }

    public DateTimeOffset DroppedAt { get; init; }
}
