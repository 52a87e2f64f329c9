using Receiver.AnchorPlatform;

namespace Receiver.Storage;

/// <summary>
/// The two parts the indexes of table <c>transactions</c> are split in: transactions in a terminal status (nearly all,
/// once an anchor has history; they no longer change) and open ones (still changing). Every update moves a transaction's
/// entries to the newest end of each index it is in; split this way, an entry is written to a terminal index once, at
/// its end, so those indexes stay dense, and the churn stays in the open indexes, which hold few live entries.
/// docs/performance.md measures it.
/// </summary>
/// <remarks>
/// The index predicates and the queries use these same texts: PostgreSQL uses a partial index only for a query whose
/// conditions imply its predicate. The statuses are literals, not parameters, so that holds under any plan.
/// </remarks>
public static class TransactionParts
{
    private static readonly string TerminalList =
        "'{" + string.Join(',', TransactionStatuses.Terminal.Order(StringComparer.Ordinal)) + "}'::text[]";

    /// <summary>The predicate of the terminal part's indexes: the status is one after which a transaction no longer changes.</summary>
    public static string Terminal(string? alias = null) => $"{Column(alias)} = ANY ({TerminalList})";

    /// <summary>The predicate of the open part's indexes: any other status, including those an operator added.</summary>
    public static string Open(string? alias = null) => $"{Column(alias)} <> ALL ({TerminalList})";

    /// <summary>The part a transaction in this status is in.</summary>
    public static string Of(string status, string? alias = null) =>
        TransactionStatuses.Terminal.Contains(status) ? Terminal(alias) : Open(alias);

    /// <summary>
    /// A condition a split index answers, said of both parts, so that PostgreSQL can read each part's index and merge
    /// them (a BitmapOr): said once, outside the parts, it matches neither index's predicate.
    /// </summary>
    public static string InEither(string condition, string alias) =>
        $"(({Terminal(alias)} AND {condition}) OR ({Open(alias)} AND {condition}))";

    private static string Column(string? alias) => alias is null ? "status" : alias + ".status";
}
