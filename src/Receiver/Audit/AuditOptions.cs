using Microsoft.Extensions.Options;

namespace Receiver.Audit;

/// <summary><c>Audit:*</c> settings.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// How long a record of the audit trail is kept; older ones are deleted within the hour. 400 days: a year of
    /// history (what PCI DSS 10.5.1 asks of an audit trail, and what a yearly review looks back over), plus a month so
    /// that a review that runs late still finds its oldest month; not longer, since each record says who read whose
    /// personal data, and is kept no longer than that purpose needs.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(400);
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    /// <summary>Ten years: far beyond any rule for an audit trail, and a cut-off the clock can always count back to.</summary>
    private static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);

    public ValidateOptionsResult Validate(string? name, AuditOptions options) =>
        options.Retention <= TimeSpan.Zero || options.Retention > MaxRetention
            ? ValidateOptionsResult.Fail($"Audit:Retention must be more than 0 and at most {MaxRetention:c}; it is {options.Retention:c}.")
            : ValidateOptionsResult.Success;
}
