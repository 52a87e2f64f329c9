using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Wallet;

/// <summary>What became of a wallet's callback, by one name in metrics and logs.</summary>
internal static class CallbackOutcomes
{
    public const string Stored = Outcomes.Stored;
    public const string Redelivered = Outcomes.Redelivered;
    public const string ConflictingDuplicate = Outcomes.ConflictingDuplicate;

    /// <summary>Verified, but not a callback the receiver can key: answered <c>400</c>.</summary>
    public const string Invalid = Outcomes.Invalid;

    /// <summary>Its signature did not verify, or was missing, malformed or out of time: <c>401</c>.</summary>
    public const string Unverified = "unverified";

    /// <summary>The anchor's key unknown, or PostgreSQL unavailable: <c>503</c>, nothing stored.</summary>
    public const string Unavailable = "unavailable";

    public static readonly string[] All = [Stored, Redelivered, ConflictingDuplicate, Invalid, Unverified, Unavailable];
}

/// <summary>
/// <c>receiver.callbacks.received</c>: every callback posted to a configured anchor's URL, by anchor, SEP and outcome.
/// The anchors are the configured ones, so the series are bounded; tags are made once.
/// </summary>
internal sealed class WalletMetrics
{
    private readonly Counter<long> _received;
    private readonly Dictionary<(string Anchor, string Sep, string Outcome), TagList> _tags = [];

    public WalletMetrics(IMeterFactory meters, IOptions<WalletOptions> options)
    {
        _received = meters.Create(ReceiverMeter.Name).CreateCounter<long>("receiver.callbacks.received", "{callback}",
            "Wallet callbacks posted for a configured anchor, by anchor, SEP and outcome (stored, redelivered, conflicting_duplicate, invalid, unverified, unavailable)");
        foreach (var anchor in options.Value.Anchors)
        foreach (var (_, sep) in CallbackSeps.All)
        foreach (var outcome in CallbackOutcomes.All)
            _tags[(anchor.Name, sep, outcome)] = new TagList { { "anchor", anchor.Name }, { "sep", sep }, { "outcome", outcome } };
    }

    public void Received(string anchor, string sep, string outcome) => _received.Add(1, _tags[(anchor, sep, outcome)]);
}
