using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Receiver.AnchorPlatform;
using Receiver.Storage;

namespace Receiver.Reconciliation;

/// <summary>A transaction as the Platform API answers it, with what reconciliation compares.</summary>
internal sealed record PlatformSnapshot(string Id, DateTimeOffset StartedAt, DateTimeOffset OrderKey, JsonElement Element)
{
    /// <summary>The snapshot, or why it cannot be compared (it is not even stored then).</summary>
    public static PlatformSnapshot? Read(JsonElement record, out string? problem)
    {
        problem = null;
        if (record.ValueKind != JsonValueKind.Object
            || !record.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } transactionId)
        {
            problem = "a record without a string \"id\"";
            return null;
        }
        if (Date(record, "started_at") is not { } startedAt)
        {
            problem = $"transaction {transactionId}: no RFC 3339 \"started_at\"";
            return null;
        }
        // As ingest orders snapshots (TransactionFacts.OrderKey): updated_at, else started_at.
        return new PlatformSnapshot(transactionId, startedAt, Date(record, "updated_at") ?? startedAt, record);
    }

    /// <summary>
    /// Newer than what we hold, <paramref name="ours"/> being our newest snapshot's order key as AP published it in
    /// its event (<see cref="ReconciliationStore"/> reads it from that snapshot's text, to the nanosecond AP wrote).
    /// Both sides are compared as AP's database keeps them (<see cref="AsApStores"/>): AP's Platform API answers
    /// what its database holds, so a value compared as published would look newer than itself.
    /// </summary>
    public bool IsNewerThan(DateTimeOffset ours) => AsApStores(OrderKey) > AsApStores(ours);

    /// <summary>
    /// An instant as AP's database gives it back. AP stamps <c>updated_at</c> with <c>Instant.now()</c>
    /// (nanoseconds on JDK 17) and publishes that value in the event (GsonUtils' ISO_INSTANT, up to nine digits), but
    /// keeps it in a <c>timestamp</c> column through pgjdbc, which rounds half up to the microsecond
    /// (TimestampUtils.toString: a sub-microsecond part over 499 ns adds a microsecond), as PostgreSQL does with
    /// more than six digits. Ticks are enough to round so: the 100 ns digit decides whether the part reaches 500 ns.
    /// </summary>
    public static DateTimeOffset AsApStores(DateTimeOffset instant)
    {
        // A year DateTimeOffset cannot hold reads as its bound (Rfc3339.TryParseInstant); rounding would overflow it.
        if (instant == DateTimeOffset.MaxValue || instant == DateTimeOffset.MinValue) return instant;
        var belowMicrosecond = instant.UtcTicks % 10;
        return instant.AddTicks(belowMicrosecond >= 5 ? 10 - belowMicrosecond : -belowMicrosecond);
    }

    private static DateTimeOffset? Date(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && Rfc3339.TryParseInstant(value.GetString(), out var date) ? date.ToUniversalTime() : null;
}

/// <summary>
/// The event reconciliation stores for a gap: AP's envelope around the Platform API's snapshot, plus
/// <c>"source": "reconciliation"</c>, so state, timeline and feed take it as any event and consumers can tell it apart.
/// </summary>
internal static class ReconciledEvent
{
    private const string Source = EventSources.Reconciliation;

    /// <summary>
    /// The same for one snapshot whoever makes it (a UUID from SHA-256 of transaction id and <c>updated_at</c>), so
    /// two runs that race, or a run retried, store a gap once: the second is a redelivery.
    /// </summary>
    public static string IdFor(PlatformSnapshot snapshot)
    {
        var name = $"{Source}\n{snapshot.Id}\n{snapshot.OrderKey.UtcTicks / 10}";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: a name-based UUID of our own
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>
    /// <c>transaction_created</c> for a transaction we never heard of (consumers learn of it here first),
    /// <c>transaction_status_changed</c> for one we hold an older snapshot of. The timestamp is ours: when the gap was
    /// closed, as AP's is when it sent the event.
    /// </summary>
    public static byte[] Build(PlatformSnapshot snapshot, bool known, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", IdFor(snapshot));
            writer.WriteString("type", known ? "transaction_status_changed" : "transaction_created");
            writer.WriteString("timestamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("source", Source);
            writer.WriteStartObject("payload");
            writer.WritePropertyName("transaction");
            writer.WriteRawValue(snapshot.Element.GetRawText());
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
