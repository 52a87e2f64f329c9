using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Storage;

/// <summary>Retention's counters on the <c>Receiver</c> meter: partitions created and dropped, runs deleted, upkeeps failed.</summary>
internal sealed class RetentionMetrics
{
    private readonly Counter<long> _partitionsCreated;
    private readonly Counter<long> _partitionsDropped;
    private readonly Counter<long> _runsDeleted;
    private readonly Counter<long> _failures;

    public RetentionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        _partitionsCreated = meter.CreateCounter<long>("receiver.retention.partitions_created", "{partition}",
            "Monthly partitions created ahead of their month, by table (events, rejected_events).");
        _partitionsDropped = meter.CreateCounter<long>("receiver.retention.partitions_dropped", "{partition}",
            "Monthly partitions dropped because Retention:Events or Retention:RejectedEvents expired them, by table.");
        _runsDeleted = meter.CreateCounter<long>("receiver.retention.reconciliation_runs_deleted", "{run}",
            "Reconciliation runs deleted because Retention:ReconciliationRuns expired them.");
        _failures = meter.CreateCounter<long>("receiver.retention.failures", "{upkeep}",
            "Retention upkeeps that failed (the database unavailable, a drop that could not have its lock): retried at the next upkeep.");
    }

    public void PartitionsCreated(string table, int count) => _partitionsCreated.Add(count, new KeyValuePair<string, object?>("table", table));

    public void PartitionsDropped(string table, int count) => _partitionsDropped.Add(count, new KeyValuePair<string, object?>("table", table));

    public void RunsDeleted(long count) => _runsDeleted.Add(count);

    public void Failed() => _failures.Add(1);
}
