using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Storage;

/// <summary>Retention's counters on the <c>Receiver</c> meter: partitions created and dropped, rows deleted, upkeeps failed.</summary>
internal sealed class RetentionMetrics
{
    private readonly Counter<long> _partitionsCreated;
    private readonly Counter<long> _partitionsDropped;
    private readonly Counter<long> _rowsDeleted;
    private readonly Counter<long> _failures;

    public RetentionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        _partitionsCreated = meter.CreateCounter<long>("receiver.retention.partitions_created", "{partition}",
            "Monthly partitions of events created ahead of their month.");
        _partitionsDropped = meter.CreateCounter<long>("receiver.retention.partitions_dropped", "{partition}",
            "Monthly partitions of events dropped because Retention:Events expired them.");
        _rowsDeleted = meter.CreateCounter<long>("receiver.retention.rows_deleted", "{row}",
            "Rows deleted because their retention expired, by table (rejected_events, reconciliation_runs).");
        _failures = meter.CreateCounter<long>("receiver.retention.failures", "{upkeep}",
            "Retention upkeeps that failed (the database unavailable, a drop that could not have its lock): retried at the next upkeep.");
    }

    public void PartitionsCreated(int count) => _partitionsCreated.Add(count);

    public void PartitionsDropped(int count) => _partitionsDropped.Add(count);

    public void RowsDeleted(string table, long count) => _rowsDeleted.Add(count, new KeyValuePair<string, object?>("table", table));

    public void Failed() => _failures.Add(1);
}
