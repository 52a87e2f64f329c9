using System.Collections.Frozen;

namespace Receiver.AnchorPlatform;

internal enum EventSubject
{
    Unknown,
    Transaction,
    Quote,
    Customer,
}

/// <summary>Event types as AP writes them (its enum names, lowercased).</summary>
internal static class EventTypes
{
    public const string TransactionStatusChanged = "transaction_status_changed";
    public const string CustomerUpdated = "customer_updated";

    public static readonly FrozenSet<string> All = FrozenSet.Create(
        "transaction_created", "transaction_status_changed", "transaction_error", "quote_created", "customer_updated");

    public static EventSubject SubjectOf(string? type) => type switch
    {
        "transaction_created" or "transaction_status_changed" or "transaction_error" => EventSubject.Transaction,
        "quote_created" => EventSubject.Quote,
        "customer_updated" => EventSubject.Customer,
        _ => EventSubject.Unknown,
    };
}

internal static class Seps
{
    public static readonly FrozenSet<string> All = FrozenSet.Create("6", "24", "31");

    private static readonly FrozenDictionary<string, string[]> Kinds = new Dictionary<string, string[]>
    {
        ["6"] = ["deposit", "deposit-exchange", "withdrawal", "withdrawal-exchange"],
        ["24"] = ["deposit", "withdrawal"],
        ["31"] = ["receive"],
    }.ToFrozenDictionary();

    public static IReadOnlyList<string> KindsOf(string? sep) => sep is not null && Kinds.TryGetValue(sep, out var kinds) ? kinds : [];
}

/// <summary>
/// AP's <c>SepTransactionStatus</c>: all 20, including <c>on_hold</c>, which the published schemas leave out.
/// AP's PATCH checks only membership, not fit to the SEP, so any of them may arrive for any SEP.
/// </summary>
internal static class TransactionStatuses
{
    public static readonly FrozenSet<string> All = FrozenSet.Create(
        "incomplete", "pending_user_transfer_start", "pending_user_transfer_complete", "pending_external",
        "pending_anchor", "on_hold", "pending_stellar", "pending_trust", "pending_user", "pending_sender",
        "pending_receiver", "pending_transaction_info_update", "pending_customer_info_update", "completed",
        "refunded", "expired", "error", "no_market", "too_small", "too_large");

    /// <summary>The statuses after which a transaction no longer changes.</summary>
    public static readonly FrozenSet<string> Terminal = FrozenSet.Create(
        "completed", "refunded", "expired", "error", "no_market", "too_small", "too_large");

    /// <summary>AP's statuses and those an operator added (<c>Ingest:AdditionalStatuses</c>) for a newer AP.</summary>
    public static FrozenSet<string> With(IEnumerable<string> additional) => All.Union(additional).ToFrozenSet(StringComparer.Ordinal);
}
