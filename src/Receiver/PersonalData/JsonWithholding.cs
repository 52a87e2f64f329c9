using System.Buffers;
using System.Text.Json;

namespace Receiver.PersonalData;

/// <summary>
/// The rewriter: reads UTF-8 JSON once with <see cref="Utf8JsonReader"/>, following the path tree, and notes where
/// each withheld value starts and ends; the output is the input with those values replaced by the marker, every
/// other byte as it was (members, order, whitespace, escapes). A subtree no path leads into is skipped, not walked,
/// and nothing is built: no document, no strings. The positions and the output are pooled, and returned before
/// the call ends.
/// </summary>
internal static class JsonWithholding
{
    /// <summary>What stands where a value was withheld or dropped, whatever its type: a JSON string.</summary>
    public const string Marker = "[withheld]";

    public static ReadOnlySpan<byte> MarkerJson => "\"[withheld]\""u8;

    /// <summary>
    /// Writes <paramref name="json"/> with the values under <paramref name="start"/> withheld to <paramref name="writer"/>;
    /// JSON that does not read as one value is withheld whole, so no part of it leaks.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> json, PathNode start)
    {
        // Stored JSON was read whole at ingest: where no path leads, there is nothing to read it for again.
        if (start.IsEmpty)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
            return;
        }
        using var cuts = new Cuts();
        if (!cuts.Find(json, start))
        {
            writer.WriteStringValue(Marker);
            return;
        }
        if (cuts.Count == 0)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
            return;
        }
        var length = cuts.SplicedLength(json.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            cuts.Splice(json, buffer);
            writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <paramref name="json"/> with the values under <paramref name="start"/> withheld, in an array of its own; the same
    /// array when nothing is withheld; null when it does not read as one JSON value.
    /// </summary>
    public static byte[]? Rewrite(byte[] json, PathNode start)
    {
        using var cuts = new Cuts();
        if (!cuts.Find(json, start)) return null;
        if (cuts.Count == 0) return json;
        var output = new byte[cuts.SplicedLength(json.Length)];
        cuts.Splice(json, output);
        return output;
    }

    /// <summary>
    /// Whether <paramref name="json"/> is a JSON object each of whose <c>payload</c> members is an object: what an AP
    /// event is, as far as the paths under its payload can tell.
    /// </summary>
    public static bool IsEvent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var payloads = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isPayload = reader.ValueTextEquals("payload"u8);
                reader.Read();
                if (isPayload && reader.TokenType != JsonTokenType.StartObject) return false;
                payloads += isPayload ? 1 : 0;
                reader.Skip();
            }
            return payloads > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The start and end of each value to withhold, in the order of the text, in a pooled array.</summary>
    private sealed class Cuts : IDisposable
    {
        private int[] _bounds = ArrayPool<int>.Shared.Rent(16);

        public int Count { get; private set; }

        /// <summary>Reads the whole of <paramref name="json"/>; false when it is not one JSON value (too deep included).</summary>
        public bool Find(ReadOnlySpan<byte> json, PathNode start)
        {
            var reader = new Utf8JsonReader(json);
            try
            {
                if (!reader.Read()) return false;
                Visit(ref reader, json, start);
                // A second value, or anything but whitespace after the first, throws.
                return !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private void Visit(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, PathNode node)
        {
            if (node.Withheld)
            {
                var from = (int)reader.TokenStartIndex;
                reader.Skip();
                var to = (int)reader.BytesConsumed;
                // A value already the marker (a body dropped at ingest) stays as it is.
                if (!json[from..to].SequenceEqual(MarkerJson)) Add(from, to);
                return;
            }
            if (reader.TokenType == JsonTokenType.StartObject && node.HasMembers)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var child = node.Member(ref reader);
                    reader.Read();
                    if (child is null) reader.Skip();
                    else Visit(ref reader, json, child);
                }
                return;
            }
            if (reader.TokenType == JsonTokenType.StartArray && node.Items is { } items)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) Visit(ref reader, json, items);
                return;
            }
            reader.Skip();
        }

        private void Add(int from, int to)
        {
            if (Count * 2 + 2 > _bounds.Length)
            {
                var larger = ArrayPool<int>.Shared.Rent(_bounds.Length * 2);
                _bounds.AsSpan(0, Count * 2).CopyTo(larger);
                ArrayPool<int>.Shared.Return(_bounds);
                _bounds = larger;
            }
            _bounds[Count * 2] = from;
            _bounds[Count * 2 + 1] = to;
            Count++;
        }

        public int SplicedLength(int length)
        {
            for (var i = 0; i < Count; i++) length += MarkerJson.Length - (_bounds[i * 2 + 1] - _bounds[i * 2]);
            return length;
        }

        public void Splice(ReadOnlySpan<byte> json, Span<byte> output)
        {
            var read = 0;
            var written = 0;
            for (var i = 0; i < Count; i++)
            {
                var kept = json[read.._bounds[i * 2]];
                kept.CopyTo(output[written..]);
                written += kept.Length;
                MarkerJson.CopyTo(output[written..]);
                written += MarkerJson.Length;
                read = _bounds[i * 2 + 1];
            }
            json[read..].CopyTo(output[written..]);
        }

        public void Dispose() => ArrayPool<int>.Shared.Return(_bounds);
    }
}
