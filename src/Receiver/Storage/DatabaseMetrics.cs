using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Storage;

/// <summary>
/// <c>receiver.database.errors</c> and <c>receiver.rejected_events.backlog</c>. Both are observed rather than added
/// to, so that every series exists, at zero, from the start: <c>increase()</c> then sees the first error.
/// </summary>
internal sealed class DatabaseMetrics
{
    private long _timeouts;
    private long _readTimeouts;
    private long _errors;

    public DatabaseMetrics(IMeterFactory meters, RejectedBacklog backlog)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        meter.CreateObservableCounter("receiver.database.errors", () => (Measurement<long>[])
            [
                new(Interlocked.Read(ref _timeouts), new KeyValuePair<string, object?>("kind", "timeout")),
                new(Interlocked.Read(ref _readTimeouts), new KeyValuePair<string, object?>("kind", "read_timeout")),
                new(Interlocked.Read(ref _errors), new KeyValuePair<string, object?>("kind", "error")),
            ],
            "{error}", "Database operations given up on: kind=timeout when a write took longer than Database:Timeout, " +
            "read_timeout when a read of the query API or the feed took longer than Database:ReadTimeout, error when PostgreSQL failed");
        meter.CreateObservableGauge("receiver.rejected_events.backlog", backlog.Observe, "{event}",
            "Rejected events whose replay has not stored them, by reason (counted in PostgreSQL at most every Metrics:BacklogRefreshSeconds)");
    }

    public void DatabaseFailed(DatabaseWork work, bool timedOut) =>
        Interlocked.Increment(ref !timedOut ? ref _errors : ref work == DatabaseWork.Read ? ref _readTimeouts : ref _timeouts);
}
