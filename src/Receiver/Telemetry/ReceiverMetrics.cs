using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Receiver.Feed;
using Receiver.Ingest;
using Receiver.Ingest.Validation;

namespace Receiver.Telemetry;

/// <summary>How a feed consumer follows the feed.</summary>
internal enum FeedConsumerKind
{
    Sse,
    Poll,
}

/// <summary>
/// Receiver's own instruments, on the meter "Receiver" (exported as <c>receiver_*</c>). Every tag value comes from a
/// fixed list, so the number of series is bounded whatever is posted; no id, body or secret is ever a tag. Recording
/// on the ingest path costs a lookup of prepared tags and no allocation.
/// </summary>
internal sealed class ReceiverMetrics
{
    public const string MeterName = "Receiver";

    /// <summary>Tag values of an event that is not valid, or of an envelope that has no such member.</summary>
    internal const string Invalid = "invalid";
    internal const string NoSep = "none";

    private static readonly string[] Types = [.. EventTypes.All.Order(StringComparer.Ordinal), Invalid];
    private static readonly string[] SepValues = [.. Seps.All.Order(StringComparer.Ordinal), NoSep, Invalid];
    private static readonly FrozenDictionary<string, int> TypeIndex = Types.Index().ToFrozenDictionary(t => t.Item, t => t.Index);
    private static readonly FrozenDictionary<string, int> SepIndex = SepValues.Index().ToFrozenDictionary(s => s.Item, s => s.Index);
    private static readonly IngestResult[] Results = Enum.GetValues<IngestResult>();

    private static readonly double[] LagBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly Counter<long> _eventsReceived;
    private readonly TagList[] _eventTags;
    private long _databaseTimeouts;
    private long _databaseErrors;
    private readonly Histogram<double> _deliveryLag;
    private readonly int[] _feedConsumers = new int[2];
    private long _feedStreamsDropped;
    private readonly TimeProvider _clock;

    public ReceiverMetrics(IMeterFactory meters, RejectedBacklog backlog, TimeProvider clock)
    {
        _clock = clock;
        var meter = meters.Create(MeterName);
        _eventsReceived = meter.CreateCounter<long>("receiver.events.received", "{event}",
            "Events posted to /event, by type, SEP and outcome (stored, duplicate, conflicting_duplicate, rejected, parked)");
        _eventTags = new TagList[Types.Length * SepValues.Length * Results.Length];
        foreach (var type in Types)
        foreach (var sep in SepValues)
        foreach (var result in Results)
            _eventTags[EventTagIndex(TypeIndex[type], SepIndex[sep], result)] =
                new TagList { { "type", type }, { "sep", sep }, { "outcome", Outcome(result) } };

        // Observed rather than added to, so that both series exist, at zero, from the start: increase() then sees the first error.
        meter.CreateObservableCounter("receiver.database.errors", () => (Measurement<long>[])
            [
                new(Interlocked.Read(ref _databaseTimeouts), new KeyValuePair<string, object?>("kind", "timeout")),
                new(Interlocked.Read(ref _databaseErrors), new KeyValuePair<string, object?>("kind", "error")),
            ],
            "{error}", "Database operations given up on: kind=timeout when PostgreSQL did not answer within Ingest:DatabaseTimeout, error when it failed");
        _deliveryLag = meter.CreateHistogram("receiver.feed.delivery_lag", "s",
            "For each feed answer or stream frame carrying events: how long ago its newest event was received",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        meter.CreateObservableGauge("receiver.feed.consumers", () => (Measurement<int>[])
            [
                new(FeedConsumers(FeedConsumerKind.Sse), new KeyValuePair<string, object?>("kind", "sse")),
                new(FeedConsumers(FeedConsumerKind.Poll), new KeyValuePair<string, object?>("kind", "poll")),
            ],
            "{consumer}", "Feed consumers connected now: open event streams (sse) and long-polls being answered (poll)");
        // Observed, like the database errors, so the series is there at zero before the first drop.
        meter.CreateObservableCounter("receiver.feed.streams_dropped", () => Interlocked.Read(ref _feedStreamsDropped), "{stream}",
            "Event streams closed because their reader took nothing within Feed:WriteTimeoutSeconds");
        meter.CreateObservableGauge("receiver.rejected_events.backlog", backlog.Observe, "{event}",
            "Rejected events whose replay has not stored them, by reason (counted in PostgreSQL at most every Metrics:BacklogRefreshSeconds)");
    }

    /// <summary>An event AP posted, and what became of it. The tags come from the validated event only.</summary>
    public void EventReceived(string? type, SubjectFacts? subject, IngestResult result)
    {
        var typeIndex = type is not null && TypeIndex.TryGetValue(type, out var known) ? known : TypeIndex[Invalid];
        var sep = subject switch
        {
            TransactionFacts transaction => transaction.Sep,
            null => Invalid,
            _ => NoSep,
        };
        _eventsReceived.Add(1, in _eventTags[EventTagIndex(typeIndex, SepIndex.GetValueOrDefault(sep, SepIndex[Invalid]), result)]);
    }

    public void DatabaseFailed(bool timedOut) => Interlocked.Increment(ref timedOut ? ref _databaseTimeouts : ref _databaseErrors);

    /// <summary>Counts a consumer as connected until the returned value is disposed.</summary>
    public FeedConsumer FeedConsumerConnected(FeedConsumerKind kind)
    {
        Interlocked.Increment(ref _feedConsumers[(int)kind]);
        return new FeedConsumer(this, kind);
    }

    /// <summary>Consumers of this kind connected now.</summary>
    public int FeedConsumers(FeedConsumerKind kind) => Volatile.Read(ref _feedConsumers[(int)kind]);

    /// <summary>Events handed to a consumer: records how long ago the newest of them was received.</summary>
    public void FeedDelivered(FeedConsumerKind kind, IReadOnlyList<FeedEvent> events)
    {
        if (events.Count == 0) return;
        var lag = (_clock.GetUtcNow() - events[^1].ReceivedAt).TotalSeconds;
        _deliveryLag.Record(Math.Max(lag, 0), new KeyValuePair<string, object?>("kind", kind == FeedConsumerKind.Sse ? "sse" : "poll"));
    }

    /// <summary>An event stream closed because its reader took nothing within the write timeout.</summary>
    public void FeedStreamDropped() => Interlocked.Increment(ref _feedStreamsDropped);

    internal readonly struct FeedConsumer(ReceiverMetrics metrics, FeedConsumerKind kind) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref metrics._feedConsumers[(int)kind]);
    }

    private static int EventTagIndex(int type, int sep, IngestResult result) =>
        (type * SepValues.Length + sep) * Results.Length + (int)result;

    private static string Outcome(IngestResult result) => result switch
    {
        IngestResult.Stored => "stored",
        IngestResult.Redelivered => "duplicate",
        IngestResult.ConflictingDuplicate => "conflicting_duplicate",
        IngestResult.Rejected => "rejected",
        IngestResult.Parked => "parked",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, "unknown outcome"),
    };
}
