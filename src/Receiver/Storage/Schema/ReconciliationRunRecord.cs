namespace Receiver.Storage.Schema;

/// <summary>
/// One reconciliation run with AP's Platform API (see Reconciliation/): when it ran, what it checked, which gaps it
/// closed and what went wrong, so an operator can see that missed events are being recovered.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class ReconciliationRunRecord
{
    public long Id { get; init; }

    /// <summary><c>schedule</c> or <c>manual</c>.</summary>
    public required string Trigger { get; init; }

    /// <summary><c>running</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public required string Status { get; init; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int TransactionsChecked { get; init; }
    public int GapsClosed { get; init; }
    public int ErrorCount { get; init; }

    /// <summary>JSON array of messages, the first <c>ReconciliationStore.MaxKeptErrors</c> of <see cref="ErrorCount"/>.</summary>
    public required string Errors { get; init; }
}
