using Microsoft.Extensions.Options;

namespace Receiver.Storage;

/// <summary>
/// <c>Retention:*</c>: how long what Receiver stores is kept. Unset, it is kept forever: how long to keep it is the
/// operator's choice (an audit duty, a privacy duty), not a default the receiver can pick.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Events: a month of them (a partition of <c>events</c>) is dropped once all of it is older than this. Their ids
    /// stay (event_ids), and so does the state of their transactions, quotes and customers.
    /// </summary>
    public TimeSpan? Events { get; set; }

    /// <summary>
    /// Rejected events: a month of them (a partition of <c>rejected_events</c>, by the month of a row's first attempt)
    /// is dropped once all of it is older than this.
    /// </summary>
    public TimeSpan? RejectedEvents { get; set; }

    /// <summary>Reconciliation runs, by when they started.</summary>
    public TimeSpan? ReconciliationRuns { get; set; }

    /// <summary>
    /// Records of the audit trail; older ones are deleted within the hour. 400 days: a year of history (what PCI DSS
    /// 10.5.1 asks of an audit trail, and what a yearly review looks back over), plus a month so that a review that
    /// runs late still finds its oldest month; not longer, since each record says who read whose personal data, and
    /// is kept no longer than that purpose needs. Never forever, for that reason.
    /// </summary>
    public TimeSpan AuditRecords { get; set; } = TimeSpan.FromDays(400);

    internal IEnumerable<(string Name, TimeSpan? Value)> Settings =>
    [
        (nameof(Events), Events), (nameof(RejectedEvents), RejectedEvents), (nameof(ReconciliationRuns), ReconciliationRuns),
    ];
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    /// <summary>Ten years: far beyond any rule for an audit trail, and a cut-off the clock can always count back to.</summary>
    private static readonly TimeSpan MaxAuditRecords = TimeSpan.FromDays(3650);

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        // A day at least: a shorter one is more likely a unit mistaken (10 read as seconds, not days) than a wish.
        var failures = options.Settings
            .Where(setting => setting.Value is { } value && value < TimeSpan.FromDays(1))
            .Select(setting => $"Retention:{setting.Name} must be at least 1.00:00:00 (a day), or unset to keep forever; it is {setting.Value}.")
            .ToList();
        if (options.AuditRecords < TimeSpan.FromDays(1) || options.AuditRecords > MaxAuditRecords)
            failures.Add($"Retention:AuditRecords must be at least 1.00:00:00 (a day) and at most {MaxAuditRecords:c}; it is {options.AuditRecords:c}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
