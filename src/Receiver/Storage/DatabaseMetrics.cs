using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Storage;

/// <summary>
/// <c>receiver.database.errors</c>, <c>receiver.database.reads</c>, <c>receiver.database.standby_lag</c> and
/// <c>receiver.rejected_events.backlog</c>. The counters are observed rather than added to, so that every series
/// exists, at zero, from the start: <c>increase()</c> then sees the first error.
/// </summary>
internal sealed class DatabaseMetrics
{
    private long _timeouts;
    private long _readTimeouts;
    private long _errors;
    private long _primaryReads;
    private long _standbyReads;

    public DatabaseMetrics(IMeterFactory meters, RejectedBacklog backlog, StandbyReads standby)
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
        meter.CreateObservableCounter("receiver.database.reads", () => (Measurement<long>[])
            [
                new(Interlocked.Read(ref _primaryReads), new KeyValuePair<string, object?>("server", "primary")),
                new(Interlocked.Read(ref _standbyReads), new KeyValuePair<string, object?>("server", "standby")),
            ],
            "{read}", "Reads of the query API and the feed (each attempt), by the server that was asked: the primary, or the " +
            "standby of ConnectionStrings:ReceiverStandby while it is within Database:Standby:MaxLag");
        meter.CreateObservableGauge("receiver.database.standby_lag",
            () => (Measurement<double>[])(standby.Lag is { } lag ? [new(lag.TotalSeconds)] : []), "s",
            "How long ago the standby of ConnectionStrings:ReceiverStandby was last seen to hold every commit of the primary " +
            "(measured at least once a second); reads go to the primary while it is above Database:Standby:MaxLag");
        meter.CreateObservableGauge("receiver.rejected_events.backlog", backlog.Observe, "{event}",
            "Rejected events whose replay has not stored them, by reason (counted in PostgreSQL at most every Metrics:BacklogRefreshSeconds)");
    }

    public void Read(bool onStandby) => Interlocked.Increment(ref onStandby ? ref _standbyReads : ref _primaryReads);

    public void DatabaseFailed(DatabaseWork work, bool timedOut) =>
        Interlocked.Increment(ref !timedOut ? ref _errors : ref work == DatabaseWork.Read ? ref _readTimeouts : ref _timeouts);
}
