namespace Receiver.Storage.Schema;

/// <summary>
/// Every event id ever stored, with where its event is (or was): <c>events</c> is partitioned by month, so it cannot
/// hold a unique key on the id alone; this narrow, unpartitioned table is that key. It outlives the events that
/// retention drops (an id is AP's random UUID, not personal data), so a redelivery of an expired event is still
/// recognised and not stored again.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class KnownEventId
{
    public required string Id { get; init; }

    /// <summary>The event's sequence number, drawn when its id is first stored.</summary>
    public long Seq { get; init; }

    /// <summary>The event's <c>received_at</c>, its partition key: with <see cref="Seq"/> it finds the event in one partition.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
}
