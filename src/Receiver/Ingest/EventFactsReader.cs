using System.Runtime.InteropServices;
using System.Text.Json;
using Receiver.AnchorPlatform;
using Receiver.Ingest.Validation;
using Receiver.PersonalData;
using Receiver.Storage;

namespace Receiver.Ingest;

/// <summary>What an accepted event tells about its subject, read from the validated parse.</summary>
internal static class EventFactsReader
{
    /// <param name="body">The bytes <paramref name="view"/> was parsed from: a snapshot is a slice of them.</param>
    public static SubjectFacts Read(EventView view, ReadOnlyMemory<byte> body) =>
        EventTypes.SubjectOf(view.Type.AsString()) switch
        {
            EventSubject.Transaction => Transaction(view.Payload.Transaction, body),
            EventSubject.Quote => Quote(view.Payload.Quote, body),
            _ => new CustomerFacts(Key(view.Payload.Customer.Id)),
        };

    private static TransactionFacts Transaction(TransactionView t, ReadOnlyMemory<byte> body) => new(
        t.Id.GetString()!, t.Sep.GetString()!, t.Kind.GetString()!, t.Status.GetString()!,
        Date(t.StartedAt)!.Value, Date(t.UpdatedAt), Raw(t.Element, body),
        Distinct(t.AmountExpected.Asset, t.AmountIn.Asset, t.AmountOut.Asset, t.AmountFee.Asset),
        Distinct(t.SourceAccount, t.DestinationAccount, t.Customers.Sender.Account, t.Customers.Receiver.Account, t.Creator.Account),
        Distinct(t.Customers.Sender.Id, t.Customers.Receiver.Id));

    private static QuoteFacts Quote(QuoteView q, ReadOnlyMemory<byte> body) => new(
        Key(q.Id), q.SellAsset.AsString(), q.BuyAsset.AsString(), Date(q.CreatedAt), Date(q.ExpiresAt), Raw(q.Element, body));

    /// <summary>
    /// A quote's or customer's id as the key of its state. AP takes both from the anchor (the rate callback's id, the
    /// SEP-12 id), unbounded and, for a customer, possibly absent: such an event is stored, without a state row.
    /// </summary>
    public static string? Key(JsonElement id) => id.AsString() is { } text && StorageLimits.IsStorableIdentifier(text) ? text : null;

    public static DateTimeOffset? Date(JsonElement value) =>
        value.AsString() is { } text && Rfc3339.TryParseInstant(text, out var date) ? date.ToUniversalTime() : null;

    /// <summary>
    /// The member exactly as AP sent it, to be stored as its snapshot: the bytes of <paramref name="body"/> the parse
    /// read it from (a document parsed from memory reads that memory in place), not a copy.
    /// </summary>
    public static ReadOnlyMemory<byte> Raw(JsonElement value, ReadOnlyMemory<byte> body)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return body.Span.Overlaps(raw, out var offset)
            ? body.Slice(offset, raw.Length)
            : throw new InvalidOperationException("The value was not parsed from this body.");
    }

    /// <summary>
    /// The distinct values to index; one too long to index stays only in the snapshot, and one dropped at ingest
    /// (the marker) is not a value.
    /// </summary>
    public static string[] Distinct(params ReadOnlySpan<JsonElement> values)
    {
        var found = new List<string>(values.Length);
        foreach (var value in values)
        {
            if (value.AsString() is { Length: > 0 } text && text != PersonalDataFilter.Marker && StorageLimits.IsIndexable(text) && !found.Contains(text))
                found.Add(text);
        }
        return [.. found];
    }
}
