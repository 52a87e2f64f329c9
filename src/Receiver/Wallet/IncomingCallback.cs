using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation.Results;
using Receiver.AnchorPlatform;
using Receiver.Ingest;
using Receiver.Ingest.Validation;
using Receiver.PersonalData;
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
/// One verified callback body, parsed once: either the row to store, or the problems that make it invalid. A callback
/// carries no event id; its id is made from what it says (see <see cref="Keyed"/>).
/// </summary>
internal sealed class IncomingCallback : IStorableEvent
{
    private static readonly TransactionCallbackValidator TransactionRules = new();
    private static readonly CustomerCallbackValidator CustomerRules = new();

    /// <summary>The body but what AP makes anew for each attempt: what attempts of one callback have alike.</summary>
    private readonly JsonNode? _comparable;

    private IncomingCallback(IReadOnlyDictionary<string, string[]> errors, EventRow? row = null, bool keyed = false, JsonNode? comparable = null, string content = "")
    {
        Errors = errors;
        Row = row;
        Keyed = keyed;
        _comparable = comparable;
        Content = content;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The row to store, for a valid callback.</summary>
    public EventRow? Row { get; }

    /// <summary>
    /// Whether the callback says which state of its transaction it is: an <c>updated_at</c> (AP's SEP-31, and SEP-6
    /// before 4.0). Its id is then made from the anchor, the SEP and the transaction's id, status and
    /// <c>updated_at</c>, the same for every attempt. Otherwise (SEP-24, SEP-6 from 4.0, SEP-12) nothing in it tells
    /// two attempts of one callback from two callbacks that say the same: its id is made from its content and the
    /// subject's callback before it (<see cref="After"/>), and <see cref="CallbackIngestor"/> tells attempts apart.
    /// </summary>
    public bool Keyed { get; }

    /// <summary>
    /// The row of an unkeyed callback that follows <paramref name="previousId"/>, its subject's last stored callback:
    /// the same for attempts made at once (they see the same last callback, and the key stores one of them), another
    /// for a callback that says again what an earlier one said.
    /// </summary>
    public EventRow After(EventRow row, string? previousId) => row with { Id = "callback-" + Hash(Content, previousId ?? "") };

    /// <summary>A hash of the anchor, the SEP and the body but what AP makes anew for each attempt (<see cref="PerAttempt"/>).</summary>
    public string Content { get; }

    /// <summary>
    /// Validates the body as the anchor signed it, then reads the rest from the body as it is stored: without what
    /// <c>PersonalData:DropAtIngest</c> drops, so that its id and the comparison with stored callbacks are of that body.
    /// </summary>
    public static IncomingCallback Parse(
        byte[] body, string anchor, string sep, DateTimeOffset signedAt, DateTimeOffset receivedAt, PersonalDataFilter personalData)
    {
        var received = IncomingEvent.ParseObject(body, out var problem);
        if (received is null) return new IncomingCallback(IncomingEvent.WholeBodyProblem(problem!));

        ValidationResult result = sep == "12"
            ? CustomerRules.Validate(new CustomerCallbackView(received.RootElement))
            : TransactionRules.Validate(new TransactionCallbackView(received.RootElement));
        if (!result.IsValid)
        {
            received.Dispose();
            return new IncomingCallback(IncomingEvent.ByPath(result.Errors));
        }

        var stored = personalData.Drop(body, sep == "12" ? JsonShape.Customer : JsonShape.Payload);
        // The facts read from the parse are strings or slices of the body: the document is not needed after it.
        using var document = IncomingEvent.AsStored(received, body, stored);
        var root = document.RootElement;
        SubjectFacts facts = sep == "12"
            ? new CustomerFacts(EventFactsReader.Key(new CustomerCallbackView(root).Id))
            : TransactionFacts(new TransactionCallbackView(root).Transaction, sep, stored, signedAt);
        var type = sep == "12" ? EventTypes.CustomerUpdated : EventTypes.TransactionStatusChanged;
        var comparable = WithoutPerAttempt(root);
        var content = Hash(anchor, sep, comparable?.ToJsonString() ?? "");
        var transaction = root.Field("transaction"u8);
        string[] state = [transaction.Field("id"u8).AsString() ?? "", transaction.Field("status"u8).AsString() ?? "", transaction.Field("updated_at"u8).AsString() ?? ""];
        var keyed = sep != "12" && state.All(part => part.Length > 0);
        var id = keyed ? Hash([anchor, sep, .. state]) : content;
        var row = new EventRow("callback-" + id, type, facts, signedAt, stored, receivedAt, EventSources.Callback, anchor);
        return new IncomingCallback(IncomingEvent.NoErrors, row, keyed, comparable, content);
    }

    private static TransactionFacts TransactionFacts(SepTransactionView transaction, string sep, byte[] body, DateTimeOffset signedAt)
    {
        var updatedAt = EventFactsReader.Date(transaction.UpdatedAt);
        return new TransactionFacts(
            transaction.Id.GetString()!, sep, transaction.Kind.AsString() ?? CallbackSeps.DefaultKind(sep), transaction.Status.GetString()!,
            EventFactsReader.Date(transaction.StartedAt) ?? updatedAt ?? signedAt, updatedAt,
            EventFactsReader.Raw(transaction.Element, body),
            EventFactsReader.Distinct(transaction.AmountInAsset, transaction.AmountOutAsset, transaction.AmountFeeAsset),
            EventFactsReader.Distinct(transaction.From, transaction.To),
            CustomerIds: [])
        {
            // AP's SEP-24 and (from 4.0) SEP-6 responses have no updated_at: the anchor signs each callback as it sends
            // the event, so the time it signed orders them, where started_at would leave the order of arrival.
            OrderKey = updatedAt ?? signedAt,
        };
    }

    /// <summary>Another id for the same callback, where its own is taken by a callback that says otherwise.</summary>
    public EventRow Alternative(EventRow row) => row with { Id = $"{row.Id}-{Content[..32]}" };

    private static string Hash(params ReadOnlySpan<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts.ToArray()))));

    /// <summary>
    /// What AP makes anew for each attempt of one callback: SEP-6 and SEP-24's <c>more_info_url</c>, whose token it
    /// mints again (AP@4.3.0 ClientStatusCallbackHandler, Sep24Helper / Sep6 MoreInfoUrlConstructor).
    /// </summary>
    private static readonly string[] PerAttempt = ["more_info_url"];

    /// <summary>The body as JSON, <c>transaction.more_info_url</c> left out.</summary>
    private static JsonNode? WithoutPerAttempt(JsonElement root)
    {
        var node = JsonNode.Parse(root.GetRawText());
        if (node?["transaction"] is JsonObject transaction)
            foreach (var member in PerAttempt) transaction.Remove(member);
        return node;
    }

    /// <summary>The same callback when the stored body is the same JSON but for what AP makes anew for each attempt.</summary>
    public bool IsRedeliveryOf(ReadOnlyMemory<byte> storedBody)
    {
        if (_comparable is null) return false;
        using var stored = JsonDocument.Parse(storedBody, IncomingEvent.ParseOptions);
        return JsonNode.DeepEquals(_comparable, WithoutPerAttempt(stored.RootElement));
    }
}
