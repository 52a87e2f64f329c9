using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Receiver.Storage;

namespace Receiver.Http;

/// <summary>
/// Where a walk through a list stands: the sequence number the walk reads as of (so rows changed or added while
/// it walks neither repeat nor vanish), the sort key of the last row returned, and which query it belongs to.
/// </summary>
internal sealed record Cursor(
    [property: JsonPropertyName("q")] string Query,
    [property: JsonPropertyName("a")] long AsOf,
    [property: JsonPropertyName("k")] long? OrderKeyTicks,
    [property: JsonPropertyName("i")] string? Id,
    [property: JsonPropertyName("n"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Anchor = null)
{
    [JsonIgnore]
    public DateTimeOffset? OrderKey => OrderKeyTicks is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
}

[JsonSerializable(typeof(Cursor))]
internal sealed partial class CursorJsonContext : JsonSerializerContext;

/// <summary>
/// Cursors are opaque, URL-safe and signed (HMAC-SHA256 with a key kept in the database, <see cref="ReceiverKeys"/>, so
/// every instance reads the cursors of every other): a forged or altered cursor is refused rather than walked.
/// </summary>
internal sealed class CursorCodec(ReceiverKeys keys)
{
    private const int SignatureBytes = 16;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    public async Task<string> EncodeAsync(Cursor cursor, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(cursor, CursorJsonContext.Default.Cursor);
        var signature = Sign(await KeyAsync(cancellationToken), payload);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The cursor, or null when it is not one we issued for this query.</summary>
    public async Task<Cursor?> DecodeAsync(string text, string query, CancellationToken cancellationToken)
    {
        var parts = text.Split('.');
        if (parts.Length != 2 || parts[0].Length > 2048) return null;
        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[0]);
            signature = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }
        var expected = Sign(await KeyAsync(cancellationToken), payload);
        if (!CryptographicOperations.FixedTimeEquals(signature, expected)) return null;

        var cursor = JsonSerializer.Deserialize(payload, CursorJsonContext.Default.Cursor);
        return cursor is not null && cursor.Query == query ? cursor : null;
    }

    private static byte[] Sign(byte[] key, byte[] payload) => HMACSHA256.HashData(key, payload)[..SignatureBytes];

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key) return key;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            return _key ??= await keys.GetOrCreateAsync("cursor", cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }
}

/// <summary>Identifies a query by its filters, so a cursor cannot be carried over to a different one.</summary>
internal static class QueryIdentity
{
    public static string Of(string resource, params (string Name, object? Value)[] filters)
    {
        var text = new StringBuilder(resource);
        foreach (var (name, value) in filters)
        {
            text.Append('&').Append(name).Append('=');
            text.Append(value switch
            {
                null => "",
                string[] values => string.Join(",", values),
                DateTimeOffset instant => instant.UtcTicks.ToString(),
                _ => value.ToString(),
            });
        }
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))[..12]);
    }
}
