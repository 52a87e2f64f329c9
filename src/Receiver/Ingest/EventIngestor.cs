using Microsoft.Extensions.Options;
using Receiver.Ingest.Validation;
using Receiver.PersonalData;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Ingest;

internal enum IngestResult
{
    /// <summary>Stored for the first time.</summary>
    Stored,

    /// <summary>Already stored: AP delivered it again. Nothing changed.</summary>
    Redelivered,

    /// <summary>The id is stored with a different payload: the first version stays, this one is kept as rejected.</summary>
    ConflictingDuplicate,

    /// <summary>Invalid, kept as rejected, answered 400 (<c>Ingest:OnInvalid=reject</c>).</summary>
    Rejected,

    /// <summary>Invalid, kept as rejected, answered 200 (<c>Ingest:OnInvalid=park</c>).</summary>
    Parked,
}

internal static class IngestResults
{
    /// <summary>The outcome's one name everywhere: logs, metrics, replay results and the rejected events' replay outcome.</summary>
    public static string Name(this IngestResult result) => result switch
    {
        IngestResult.Stored => Outcomes.Stored,
        IngestResult.Redelivered => Outcomes.Redelivered,
        IngestResult.ConflictingDuplicate => Outcomes.ConflictingDuplicate,
        IngestResult.Rejected => Outcomes.Rejected,
        IngestResult.Parked => Outcomes.Parked,
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, "unknown outcome"),
    };
}

internal sealed record IngestOutcome(IngestResult Result, string? EventId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>What storing needs of a parsed body besides its row: whether a body stored under its id is the same event.</summary>
internal interface IStorableEvent
{
    /// <summary>Whether <paramref name="storedBody"/>, stored under this event's id, is this event sent again.</summary>
    bool IsRedeliveryOf(ReadOnlyMemory<byte> storedBody);
}

/// <summary>From body to stored row: parse once, validate that parse, store exactly once, keep whatever is refused.</summary>
internal sealed partial class EventIngestor(
    EventValidator validator, EventStore store, EventWriter writer, IOptions<IngestOptions> options, PersonalDataFilter personalData,
    TimeProvider clock, IngestMetrics metrics, ILogger<EventIngestor> logger)
{
    private static readonly IReadOnlyDictionary<string, string[]> ConflictErrors = new Dictionary<string, string[]>
    {
        ["id"] = ["an event with this id is already stored with a different payload; the first version is kept"],
    };

    /// <summary>Stores an event AP posted. <paramref name="body"/> becomes the stored row's: the caller must not reuse it.</summary>
    public Task<IngestOutcome> IngestAsync(byte[] body, CancellationToken cancellationToken) =>
        IngestAsync(body, EventSources.Ap, postedToEvent: true, cancellationToken);

    /// <summary>
    /// Runs a body kept as rejected through ingest again (after an upgrade or a configuration change). It is not kept
    /// as rejected a second time: its rejected row stays, and records the outcome of the replay.
    /// </summary>
    public Task<IngestOutcome> ReplayAsync(byte[] body, CancellationToken cancellationToken) =>
        IngestAsync(body, EventSources.Ap, postedToEvent: false, cancellationToken);

    /// <summary>
    /// Stores an event reconciliation made from AP's Platform API. An invalid one is reported to the run, not kept
    /// as rejected: rejected events are what AP sent.
    /// </summary>
    public Task<IngestOutcome> IngestReconciledAsync(byte[] body, CancellationToken cancellationToken) =>
        IngestAsync(body, EventSources.Reconciliation, postedToEvent: false, cancellationToken);

    /// <summary>
    /// Stores a wallet's callback, whose signature, parse and row the caller made: through the same writer, exactly
    /// once by the row's id, a redelivery answered as one. A conflicting duplicate is reported, not kept as rejected:
    /// rejected events are what AP posted to <c>/event</c>, and are replayed there.
    /// </summary>
    public async Task<IngestOutcome> IngestCallbackAsync(EventRow row, IStorableEvent callback, CancellationToken cancellationToken)
    {
        var outcome = await StoreAsync(callback, row, cancellationToken);
        LogCallbackOutcome(logger, row.Anchor, LogText.Escape(row.Subject.Id), row.Id, outcome.Result.Name());
        return outcome;
    }

    /// <param name="postedToEvent">
    /// An event AP posted to <c>/event</c>: what is refused is kept as rejected, and the event counts in
    /// <c>receiver.events.received</c>. A replay or a reconciled event does neither.
    /// </param>
    private async Task<IngestOutcome> IngestAsync(byte[] body, string source, bool postedToEvent, CancellationToken cancellationToken)
    {
        var receivedAt = clock.GetUtcNow();
        using var incoming = IncomingEvent.Parse(body, validator, personalData);

        if (!incoming.IsValid)
        {
            if (postedToEvent)
                await store.RecordRejectedAsync(new RejectedRow(
                    incoming.Id, incoming.Type, RejectionReasons.Invalid, incoming.ErrorsJson(),
                    incoming.Body, incoming.Fingerprint(), receivedAt), cancellationToken);
            var result = options.Value.OnInvalid == InvalidEventHandling.Park ? IngestResult.Parked : IngestResult.Rejected;
            // Member names in the paths can hold any character; an id or type, none of the control characters (else it
            // is null here) but still a Unicode line separator.
            LogInvalid(logger, LogText.Escape(incoming.Id), LogText.Escape(incoming.Type), result.Name(), LogText.Escape(string.Join(", ", incoming.Errors.Keys)));
            if (postedToEvent) metrics.EventReceived(incoming.Type, subject: null, result);
            return new IngestOutcome(result, incoming.Id, incoming.Errors);
        }

        var row = new EventRow(incoming.Id!, incoming.Type!, incoming.Subject!, incoming.Timestamp, incoming.Body, receivedAt, source);
        var outcome = await StoreAsync(incoming, row, cancellationToken);
        if (postedToEvent && outcome.Result == IngestResult.ConflictingDuplicate)
            await store.RecordRejectedAsync(new RejectedRow(
                row.Id, row.Type, RejectionReasons.ConflictingDuplicate, IncomingEvent.SerializeErrors(ConflictErrors),
                row.Body, incoming.Fingerprint(), row.ReceivedAt), cancellationToken);
        // Ids may hold a Unicode line separator; the type is one of five.
        LogOutcome(logger, LogText.Escape(row.Id), row.Type, LogText.Escape(row.Subject.Id), outcome.Result.Name());
        if (postedToEvent) metrics.EventReceived(row.Type, row.Subject, outcome.Result);
        return outcome;
    }

    private async Task<IngestOutcome> StoreAsync(IStorableEvent incoming, EventRow row, CancellationToken cancellationToken)
    {
        if (await writer.InsertAsync(row, cancellationToken))
            return new IngestOutcome(IngestResult.Stored, row.Id, IncomingEvent.NoErrors);

        var stored = await store.FindBodyAsync(row.Id, cancellationToken);
        return stored is null || incoming.IsRedeliveryOf(stored)
            ? new IngestOutcome(IngestResult.Redelivered, row.Id, IncomingEvent.NoErrors)
            : new IngestOutcome(IngestResult.ConflictingDuplicate, row.Id, ConflictErrors);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} {EventType} for {SubjectId}: {Outcome}")]
    private static partial void LogOutcome(ILogger logger, string eventId, string eventType, string? subjectId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback of anchor {Anchor} for {SubjectId}, stored as {EventId}: {Outcome}")]
    private static partial void LogCallbackOutcome(ILogger logger, string anchor, string? subjectId, string eventId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} {EventType}: {Outcome}, invalid at {InvalidPaths}")]
    private static partial void LogInvalid(ILogger logger, string? eventId, string? eventType, string outcome, string invalidPaths);
}
