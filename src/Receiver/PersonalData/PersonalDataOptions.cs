using Microsoft.Extensions.Options;

namespace Receiver.PersonalData;

/// <summary><c>PersonalData:*</c> settings: which values inside events are personal (docs/personal-data.md).</summary>
public sealed class PersonalDataOptions
{
    public const string Section = "PersonalData";

    /// <summary>
    /// What AP 2.10 to 4.x sends that is personal whatever the operator's business: SEP-31's KYC field values, the
    /// client's address, and memos (which often name a person's account at an exchange). Read with AP's source at each
    /// tag in docs/personal-data.md. Configured paths are added to these, never in their place, so that no setting can
    /// show one of them by mistake.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultPaths =
    [
        "transaction.fields",
        "transaction.request_client_ip_address",
        "transaction.memo",
        "transaction.refund_memo",
        "transaction.stellar_transactions[*].memo",
        "transaction.deposit_memo",
        "transaction.withdraw_memo",
        "transaction.stellar_memo",
    ];

    /// <summary>Paths withheld from callers without <c>read:personal</c>: the defaults and the operator's.</summary>
    public List<string> Paths { get; set; } = [.. DefaultPaths];

    /// <summary>Paths never stored: their values are replaced by the marker before an event or a callback is stored.</summary>
    public List<string> DropAtIngest { get; set; } = [];
}

internal sealed class PersonalDataOptionsValidator : IValidateOptions<PersonalDataOptions>
{
    /// <summary>
    /// What keys, orders and tells apart the events and their subjects: dropped, an event could not be stored (or two
    /// would be taken for one). Withheld at read (<c>PersonalData:Paths</c>) they may be.
    /// </summary>
    internal static readonly IReadOnlyList<string> Keys =
    [
        "transaction.id", "transaction.sep", "transaction.kind", "transaction.status", "transaction.started_at", "transaction.updated_at",
        "quote.id", "quote.created_at", "customer.id",
    ];

    public ValidateOptionsResult Validate(string? name, PersonalDataOptions options)
    {
        var failures = new List<string>();
        foreach (var (setting, paths) in new[] { (nameof(options.Paths), options.Paths), (nameof(options.DropAtIngest), options.DropAtIngest) })
        {
            for (var i = 0; i < paths.Count; i++)
            {
                if (!PersonalDataPath.TryParse(paths[i], out _, out var problem))
                    failures.Add($"{PersonalDataOptions.Section}:{setting}:{i} is '{paths[i]}': {problem}.");
            }
        }
        foreach (var key in options.DropAtIngest.Where(path => Keys.Contains(path.Trim(), StringComparer.Ordinal)))
            failures.Add($"{PersonalDataOptions.Section}:DropAtIngest names '{key}', which keys or orders what is stored: withhold it with " +
                         $"{PersonalDataOptions.Section}:Paths instead.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
