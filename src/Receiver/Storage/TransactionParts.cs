using Receiver.AnchorPlatform;

namespace Receiver.Storage;

/// <summary>
/// The two parts the order and <c>head_seq</c> indexes of table <c>transactions</c> are split in: transactions in a
/// terminal status (nearly all, once an anchor has history; they no longer change) and open ones (still changing).
/// Every update moves a transaction's entries in those indexes to their newest end; split this way, an entry is written
/// to a terminal index once, at its end, so those indexes stay dense, and the churn stays in the open indexes, which
/// hold few live entries. docs/performance.md measures it.
/// </summary>
/// <remarks>
/// The index predicates and the queries use these same texts: PostgreSQL uses a partial index only for a query whose
/// conditions imply its predicate. The statuses are literals, not parameters, so that holds under any plan. A change
/// of AP's terminal statuses changes the model's index filters: scripts/test fails until a migration rebuilds them.
/// </remarks>
public static class TransactionParts
{
    private static readonly string TerminalList =
        "'{" + string.Join(',', TransactionStatuses.Terminal.Order(StringComparer.Ordinal)) + "}'::text[]";

    /// <summary>The predicate of the terminal part's indexes: the status is one after which a transaction no longer changes.</summary>
    public static string Terminal(string? alias = null) => $"{Column(alias)} = ANY ({TerminalList})";

    /// <summary>The predicate of the open part's indexes: any other status, including those an operator added.</summary>
    public static string Open(string? alias = null) => $"{Column(alias)} <> ALL ({TerminalList})";

    private static string Column(string? alias) => alias is null ? "status" : alias + ".status";
}
