using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Unicode;
using FluentValidation.Results;
using Receiver.AnchorPlatform;
using Receiver.Ingest.Validation;
using Receiver.PersonalData;
using Receiver.Storage;

namespace Receiver.Ingest;

/// <summary>
/// One request body, parsed once. Either a valid event, whose ids come from the same parse that was
/// validated, or the problems that make it invalid, keyed by dotted JSON path.
/// </summary>
internal sealed class IncomingEvent : IStorableEvent, IDisposable
{
    /// <summary>Key of problems that belong to the body as a whole rather than to one field.</summary>
    public const string WholeBody = "$";

    internal static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    private readonly JsonDocument? _document;

    private IncomingEvent(JsonDocument? document, byte[] body, IReadOnlyDictionary<string, string[]> errors)
    {
        _document = document;
        Body = body;
        Errors = errors;
        var root = document?.RootElement ?? default;
        Id = Storable(root.Field("id"u8).AsString());
        Type = Storable(root.Field("type"u8).AsString());
        if (IsValid)
        {
            var view = new EventView(root);
            Subject = EventFactsReader.Read(view, body);
            Timestamp = Rfc3339.TryParseInstant(view.Timestamp.GetString(), out var timestamp) ? timestamp.ToUniversalTime() : default;
        }
    }

    /// <summary>
    /// The body as it is stored: as received, but for the values of <c>PersonalData:DropAtIngest</c>, replaced by the
    /// marker. Everything else here (facts, snapshots, the redelivery check, the fingerprint) is read from it.
    /// </summary>
    public byte[] Body { get; }

    public bool IsValid => Errors.Count == 0;
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>Envelope id and type, when readable and storable, even on an invalid body.</summary>
    public string? Id { get; }
    public string? Type { get; }

    /// <summary>The transaction, quote or customer a valid event is about.</summary>
    public SubjectFacts? Subject { get; }

    /// <summary>The envelope's <c>timestamp</c>: when AP made this delivery attempt.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>
    /// Validates the body as received (AP's event, whatever is dropped from it), then reads the rest from the body
    /// as it is stored (<see cref="Body"/>).
    /// </summary>
    public static IncomingEvent Parse(byte[] body, EventValidator validator, PersonalDataFilter personalData)
    {
        var stored = personalData.Drop(body, JsonShape.Event);
        if (ParseObject(body, out var problem) is not { } received) return new IncomingEvent(null, stored, WholeBodyProblem(problem!));
        var result = validator.Validate(new EventView(received.RootElement));
        return new IncomingEvent(AsStored(received, body, stored), stored, result.IsValid ? NoErrors : ByPath(result.Errors));
    }

    /// <summary>
    /// The parse of <paramref name="stored"/>, the stored form of <paramref name="received"/>'s body: that parse itself
    /// when nothing was dropped, else a parse of the stored bytes (valid JSON: values replaced by a string).
    /// </summary>
    internal static JsonDocument AsStored(JsonDocument received, byte[] body, byte[] stored)
    {
        if (ReferenceEquals(stored, body)) return received;
        received.Dispose();
        return JsonDocument.Parse(stored, ParseOptions);
    }

    /// <summary>
    /// The body as a JSON object we can store, or null and why not: valid UTF-8, nothing PostgreSQL's jsonb refuses
    /// (<see cref="StorableJson"/>), valid JSON without a member twice, an object.
    /// </summary>
    internal static JsonDocument? ParseObject(ReadOnlyMemory<byte> body, out string? problem)
    {
        problem = !Utf8.IsValid(body.Span) ? "the body is not valid UTF-8" : StorableJson.Problem(body.Span);
        if (problem is not null) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException e)
        {
            problem = $"the body is not valid JSON: {e.Message}";
            return null;
        }
        if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
        document.Dispose();
        problem = "the body must be a JSON object";
        return null;
    }

    /// <summary>
    /// Same event as a stored one: every envelope member but <c>timestamp</c> equal as JSON. AP changes only
    /// <c>timestamp</c> (and the token) when it redelivers.
    /// </summary>
    public bool IsRedeliveryOf(ReadOnlyMemory<byte> storedBody)
    {
        if (_document is null) return false;
        using var stored = JsonDocument.Parse(storedBody, ParseOptions);
        var mine = MembersButTimestamp(_document.RootElement);
        var theirs = MembersButTimestamp(stored.RootElement);
        return mine.Count == theirs.Count
               && mine.All(m => theirs.TryGetValue(m.Key, out var other) && JsonElement.DeepEquals(m.Value, other));
    }

    /// <summary>SHA-256 over the envelope without its per-attempt <c>timestamp</c>; the whole body when unparsable.</summary>
    public byte[] Fingerprint()
    {
        if (_document is null) return SHA256.HashData(Body);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var member in _document.RootElement.EnumerateObject())
        {
            if (member.NameEquals("timestamp")) continue;
            hash.AppendData(JsonMarshal.GetRawUtf8PropertyName(member));
            hash.AppendData(":"u8);
            hash.AppendData(JsonMarshal.GetRawUtf8Value(member.Value));
            hash.AppendData(","u8);
        }
        return hash.GetHashAndReset();
    }

    public string ErrorsJson() => SerializeErrors(Errors);

    public static string SerializeErrors(IReadOnlyDictionary<string, string[]> errors) =>
        JsonSerializer.Serialize(errors, IngestJsonContext.Default.IReadOnlyDictionaryStringStringArray);

    public void Dispose() => _document?.Dispose();

    public static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    internal static IReadOnlyDictionary<string, string[]> WholeBodyProblem(string problem) =>
        new Dictionary<string, string[]> { [WholeBody] = [problem] };

    internal static Dictionary<string, string[]> ByPath(List<ValidationFailure> failures) =>
        failures.GroupBy(f => f.PropertyName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray(), StringComparer.Ordinal);

    private static Dictionary<string, JsonElement> MembersButTimestamp(JsonElement root)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in root.EnumerateObject())
        {
            if (!member.NameEquals("timestamp")) members[member.Name] = member.Value;
        }
        return members;
    }

    private static string? Storable(string? value) => StorageLimits.IsStorableIdentifier(value) ? value : null;
}
