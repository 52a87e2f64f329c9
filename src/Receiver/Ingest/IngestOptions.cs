using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Receiver.AnchorPlatform;
using Receiver.Storage;

namespace Receiver.Ingest;

/// <summary>What <c>POST /event</c> does with an event it cannot accept.</summary>
public enum InvalidEventHandling
{
    /// <summary>Answer 400, as the Event API specifies. AP then retries the event forever and holds back later ones.</summary>
    Reject,

    /// <summary>Answer 200 and keep the event only in rejected-events, so AP moves on to the next event.</summary>
    Park,
}

/// <summary><c>Ingest:*</c> settings.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    public long MaxBodyBytes { get; set; } = 1024 * 1024;
    public InvalidEventHandling OnInvalid { get; set; } = InvalidEventHandling.Reject;

    /// <summary>
    /// Transaction statuses to accept beyond AP 2.10's twenty, e.g. those of a newer AP, so its events are stored
    /// rather than rejected (and parked ones can be replayed once the status is added here).
    /// </summary>
    public List<string> AdditionalStatuses { get; set; } = [];

    /// <summary>AP's statuses and the additional ones: what ingest accepts and the query API filters by.</summary>
    public FrozenSet<string> AcceptedStatuses => _acceptedStatuses ??= TransactionStatuses.With(AdditionalStatuses);

    private FrozenSet<string>? _acceptedStatuses;
}

/// <summary>Checks <c>Ingest:*</c>, and the events path that <see cref="EventPaths"/> takes from configuration.</summary>
internal sealed class IngestOptionsValidator(IConfiguration configuration) : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = new List<string>();
        EventPaths.Resolve(configuration, out var pathError);
        if (pathError is not null) failures.Add(pathError);
        if (options.MaxBodyBytes is < 1024 or > 100 * 1024 * 1024)
            failures.Add($"Ingest:MaxBodyBytes must be between 1024 and 104857600 bytes; it is {options.MaxBodyBytes}.");
        if (!Enum.IsDefined(options.OnInvalid))
            failures.Add("Ingest:OnInvalid must be reject or park.");
        foreach (var status in options.AdditionalStatuses.Where(s => !StorageLimits.IsStorableIdentifier(s) || s.Any(char.IsWhiteSpace)))
            failures.Add($"Ingest:AdditionalStatuses holds '{status}': a status is a word such as pending_review.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
