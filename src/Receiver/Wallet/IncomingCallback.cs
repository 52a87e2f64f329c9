using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using FluentValidation.Results;
using Receiver.AnchorPlatform;
using Receiver.Ingest;
using Receiver.Ingest.Validation;
using Receiver.Storage;

namespace Receiver.Wallet;

/// <summary>The SEPs whose callbacks a wallet takes, by the path segment each is served at.</summary>
internal static class CallbackSeps
{
    public static readonly IReadOnlyList<(string Segment, string Sep)> All = [("sep6", "6"), ("sep24", "24"), ("sep31", "31"), ("sep12", "12")];

    /// <summary>SEP-31's response names no kind: its anchor is always the receiving one, AP's <c>receive</c>.</summary>
    public static string DefaultKind(string sep) => sep == "31" ? "receive" : "";
}

/// <summary>
/// One verified callback body, parsed once: either the row to store, or the problems that make it invalid. Its
/// identity (a callback carries no event id) is made from the anchor, the SEP, the transaction's id, status and
/// <c>updated_at</c>, so every delivery of one status change is stored once, or from the whole body where those are
/// missing (a SEP-12 customer, a transaction without <c>updated_at</c>).
/// </summary>
internal sealed class IncomingCallback : IStorableEvent, IDisposable
{
    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };
    private static readonly TransactionCallbackValidator TransactionRules = new();
    private static readonly CustomerCallbackValidator CustomerRules = new();

    private readonly JsonDocument? _document;

    private IncomingCallback(JsonDocument? document, IReadOnlyDictionary<string, string[]> errors, EventRow? row)
    {
        _document = document;
        Errors = errors;
        Row = row;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The row to store, for a valid callback.</summary>
    public EventRow? Row { get; }

    public static IncomingCallback Parse(byte[] body, string anchor, string sep, DateTimeOffset signedAt, DateTimeOffset receivedAt)
    {
        if (!Utf8.IsValid(body)) return Invalid("the body is not valid UTF-8");
        if (StorableJson.Problem(body) is { } unstorable) return Invalid(unstorable);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException e)
        {
            return Invalid($"the body is not valid JSON: {e.Message}");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return Invalid("the body must be a JSON object");
        }

        var root = document.RootElement;
        ValidationResult result = sep == "12"
            ? CustomerRules.Validate(new CustomerCallbackView(root))
            : TransactionRules.Validate(new TransactionCallbackView(root));
        if (!result.IsValid)
            return new IncomingCallback(document, result.Errors.GroupBy(e => e.PropertyName).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray()), null);

        SubjectFacts facts = sep == "12"
            ? new CustomerFacts(EventFactsReader.Key(new CustomerCallbackView(root).Id))
            : TransactionFacts(new TransactionCallbackView(root).Transaction, sep, body, signedAt);
        var type = sep == "12" ? EventTypes.CustomerUpdated : EventTypes.TransactionStatusChanged;
        var row = new EventRow(Identity(anchor, sep, root, body), type, facts, signedAt, body, receivedAt, EventSources.Callback, anchor);
        return new IncomingCallback(document, IncomingEvent.NoErrors, row);
    }

    private static TransactionFacts TransactionFacts(SepTransactionView transaction, string sep, byte[] body, DateTimeOffset signedAt)
    {
        var updatedAt = EventFactsReader.Date(transaction.UpdatedAt);
        return new TransactionFacts(
            transaction.Id.GetString()!, sep, transaction.Kind.AsString() ?? CallbackSeps.DefaultKind(sep), transaction.Status.GetString()!,
            // A transaction without started_at is ordered by when its callback was signed.
            EventFactsReader.Date(transaction.StartedAt) ?? updatedAt ?? signedAt, updatedAt,
            EventFactsReader.Raw(transaction.Element, body),
            EventFactsReader.Distinct(transaction.AmountInAsset, transaction.AmountOutAsset, transaction.AmountFeeAsset),
            EventFactsReader.Distinct(transaction.From, transaction.To),
            CustomerIds: []);
    }

    private static string Identity(string anchor, string sep, JsonElement root, byte[] body)
    {
        var transaction = root.Field("transaction"u8);
        var parts = sep == "12" ? null : new[] { transaction.Field("id"u8), transaction.Field("status"u8), transaction.Field("updated_at"u8) };
        var hash = parts is not null && parts.All(part => part.ValueKind == JsonValueKind.String)
            ? SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', [anchor, sep, .. parts.Select(part => part.GetString())])))
            : SHA256.HashData([.. Encoding.UTF8.GetBytes($"{anchor}\n{sep}\n"), .. body]);
        return "callback-" + Convert.ToHexStringLower(hash);
    }

    /// <summary>The same callback when the stored body is the same JSON: the anchor sends one body for every attempt.</summary>
    public bool IsRedeliveryOf(ReadOnlyMemory<byte> storedBody)
    {
        if (_document is null) return false;
        using var stored = JsonDocument.Parse(storedBody, ParseOptions);
        return JsonElement.DeepEquals(_document.RootElement, stored.RootElement);
    }

    public byte[] Fingerprint(ReadOnlySpan<byte> body) => SHA256.HashData(body);

    public void Dispose() => _document?.Dispose();

    private static IncomingCallback Invalid(string problem) =>
        new(null, new Dictionary<string, string[]> { [IncomingEvent.WholeBody] = [problem] }, null);
}
