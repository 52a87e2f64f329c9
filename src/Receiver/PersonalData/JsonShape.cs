namespace Receiver.PersonalData;

/// <summary>Where in a body the paths start: what its root is.</summary>
public enum JsonShape
{
    /// <summary>AP's event envelope, <c>{id, type, timestamp, payload}</c>: the paths apply under <c>payload</c>.</summary>
    Event,

    /// <summary>
    /// An event's payload, <c>{"transaction": {...}}</c> (or quote, customer), and a wallet's SEP-6, 24 or 31 callback,
    /// whose body has the same shape: the paths apply from the root.
    /// </summary>
    Payload,

    /// <summary>A transaction itself (a snapshot): the paths that start with <c>transaction.</c>, without it.</summary>
    Transaction,

    /// <summary>A quote itself: the paths that start with <c>quote.</c>.</summary>
    Quote,

    /// <summary>A customer itself (a SEP-12 callback's body): the paths that start with <c>customer.</c>.</summary>
    Customer,
}
