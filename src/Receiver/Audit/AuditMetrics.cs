using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Audit;

/// <summary>Why a record of the audit trail was lost.</summary>
internal enum AuditDropReason
{
    /// <summary>A read's record found the queue full (PostgreSQL slower than the reads for a while).</summary>
    QueueFull,

    /// <summary>PostgreSQL did not take the batch holding it, within <c>Database:Timeout</c>.</summary>
    WriteFailed,
}

/// <summary>The audit trail's counters on the <c>Receiver</c> meter: records written, dropped and deleted by the retention sweep.</summary>
internal sealed class AuditMetrics
{
    private readonly Counter<long> _written;
    private readonly long[] _dropped = new long[2];
    private readonly Counter<long> _deleted;

    public AuditMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        _written = meter.CreateCounter<long>("receiver.audit.records_written", "{record}", "Records of the audit trail committed to PostgreSQL.");
        // Observed rather than added to, so both series are there at zero before the first loss, for an alert to watch.
        meter.CreateObservableCounter("receiver.audit.records_dropped", () => (Measurement<long>[])
            [
                new(Volatile.Read(ref _dropped[(int)AuditDropReason.QueueFull]), new KeyValuePair<string, object?>("reason", "queue_full")),
                new(Volatile.Read(ref _dropped[(int)AuditDropReason.WriteFailed]), new KeyValuePair<string, object?>("reason", "write_failed")),
            ],
            "{record}",
            "Records of the audit trail lost, by reason: queue_full (a read's, dropped at once rather than slowing the read), write_failed (PostgreSQL did not take it).");
        _deleted = meter.CreateCounter<long>("receiver.audit.records_deleted", "{record}",
            "Records of the audit trail deleted by the retention sweep, being older than Retention:AuditRecords.");
    }

    public void Written(int count) => _written.Add(count);

    public void Dropped(AuditDropReason reason, int count) => Interlocked.Add(ref _dropped[(int)reason], count);

    public void Deleted(int count) => _deleted.Add(count);
}
