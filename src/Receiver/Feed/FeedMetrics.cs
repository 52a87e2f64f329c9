using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Feed;

/// <summary>How a feed consumer follows the feed.</summary>
internal enum FeedConsumerKind
{
    Sse,
    Poll,
}

/// <summary>The feed's instruments: consumers connected, how fresh what they get is, and streams dropped.</summary>
internal sealed class FeedMetrics
{
    private static readonly double[] LagBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly Histogram<double> _deliveryLag;
    private readonly int[] _consumers = new int[2];
    private long _streamsDropped;
    private readonly TimeProvider _clock;

    public FeedMetrics(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        var meter = meters.Create(ReceiverMeter.Name);
        _deliveryLag = meter.CreateHistogram("receiver.feed.delivery_lag", "s",
            "For each feed answer or stream frame carrying events: how long ago its newest event was received",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        meter.CreateObservableGauge("receiver.feed.consumers", () => (Measurement<int>[])
            [
                new(Consumers(FeedConsumerKind.Sse), new KeyValuePair<string, object?>("kind", "sse")),
                new(Consumers(FeedConsumerKind.Poll), new KeyValuePair<string, object?>("kind", "poll")),
            ],
            "{consumer}", "Feed consumers connected now: open event streams (sse) and long-polls being answered (poll)");
        // Observed rather than added to, so the series is there at zero before the first drop.
        meter.CreateObservableCounter("receiver.feed.streams_dropped", () => StreamsDropped, "{stream}",
            "Event streams closed because their reader took nothing within Feed:WriteTimeoutSeconds");
    }

    /// <summary>Counts a consumer as connected until the returned value is disposed.</summary>
    public Consumer Connected(FeedConsumerKind kind)
    {
        Interlocked.Increment(ref _consumers[(int)kind]);
        return new Consumer(this, kind);
    }

    /// <summary>Consumers of this kind connected now.</summary>
    public int Consumers(FeedConsumerKind kind) => Volatile.Read(ref _consumers[(int)kind]);

    /// <summary>Events handed to a consumer: records how long ago the newest of them was received.</summary>
    public void Delivered(FeedConsumerKind kind, IReadOnlyList<FeedEvent> events)
    {
        if (events.Count == 0) return;
        var lag = (_clock.GetUtcNow() - events[^1].ReceivedAt).TotalSeconds;
        _deliveryLag.Record(Math.Max(lag, 0), new KeyValuePair<string, object?>("kind", kind == FeedConsumerKind.Sse ? "sse" : "poll"));
    }

    /// <summary>An event stream closed because its reader took nothing within the write timeout.</summary>
    public void StreamDropped() => Interlocked.Increment(ref _streamsDropped);

    /// <summary>Event streams closed so far because their reader took nothing within the write timeout.</summary>
    public long StreamsDropped => Interlocked.Read(ref _streamsDropped);

    internal readonly struct Consumer(FeedMetrics metrics, FeedConsumerKind kind) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref metrics._consumers[(int)kind]);
    }
}
