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

    internal IEnumerable<(string Name, TimeSpan? Value)> Settings =>
    [
        (nameof(Events), Events), (nameof(RejectedEvents), RejectedEvents), (nameof(ReconciliationRuns), ReconciliationRuns),
    ];
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        // A day at least: a shorter one is more likely a unit mistaken (10 read as seconds, not days) than a wish.
        var failures = options.Settings
            .Where(setting => setting.Value is { } value && value < TimeSpan.FromDays(1))
            .Select(setting => $"Retention:{setting.Name} must be at least 1.00:00:00 (a day), or unset to keep forever; it is {setting.Value}.")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
