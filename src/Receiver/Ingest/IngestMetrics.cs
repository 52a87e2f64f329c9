using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using Receiver.AnchorPlatform;
using Receiver.Storage;
using Receiver.Telemetry;
using System.Diagnostics;

namespace Receiver.Ingest;

/// <summary>
/// <c>receiver.events.received</c>: every event posted to <c>/event</c>, by type, SEP and outcome. Recording costs a
/// lookup of prepared tags and no allocation.
/// </summary>
internal sealed class IngestMetrics
{
    /// <summary>Tag values of an event that is not valid, or of an envelope that has no such member.</summary>
    internal const string Invalid = "invalid";
    internal const string NoSep = "none";

    private static readonly string[] Types = [.. EventTypes.All.Order(StringComparer.Ordinal), Invalid];
    private static readonly string[] SepValues = [.. Seps.All.Order(StringComparer.Ordinal), NoSep, Invalid];
    private static readonly FrozenDictionary<string, int> TypeIndex = Types.Index().ToFrozenDictionary(t => t.Item, t => t.Index);
    private static readonly FrozenDictionary<string, int> SepIndex = SepValues.Index().ToFrozenDictionary(s => s.Item, s => s.Index);
    private static readonly IngestResult[] Results = Enum.GetValues<IngestResult>();

    private readonly Counter<long> _eventsReceived;
    private readonly TagList[] _eventTags;

    public IngestMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        _eventsReceived = meter.CreateCounter<long>("receiver.events.received", "{event}",
            "Events posted to /event, by type, SEP and outcome (stored, redelivered, conflicting_duplicate, rejected, parked)");
        _eventTags = new TagList[Types.Length * SepValues.Length * Results.Length];
        foreach (var type in Types)
        foreach (var sep in SepValues)
        foreach (var result in Results)
            _eventTags[EventTagIndex(TypeIndex[type], SepIndex[sep], result)] =
                new TagList { { "type", type }, { "sep", sep }, { "outcome", result.Name() } };
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

    private static int EventTagIndex(int type, int sep, IngestResult result) =>
        (type * SepValues.Length + sep) * Results.Length + (int)result;
}
