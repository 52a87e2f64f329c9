using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Receiver.Http;

/// <summary>
/// JSON stored as AP sent it (a snapshot), in UTF-8 as PostgreSQL hands it over (<c>convert_to(..., 'UTF8')</c>),
/// written to the response as it is: no parse, no re-serialization, and no UTF-16 copy twice its size. With a
/// <see cref="Rewrite"/>, that writes it instead, as it is written out (values withheld from the caller).
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(ReadOnlyMemory<byte> Utf8, IRawJsonRewrite? Rewrite = null);

/// <summary>Writes stored JSON otherwise than as stored, while a response is written: nothing of it outlives the call.</summary>
public interface IRawJsonRewrite
{
    void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8);
}

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(JsonMarshal.GetRawUtf8Value(document.RootElement).ToArray());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options)
    {
        if (value.Rewrite is { } rewrite) rewrite.Write(writer, value.Utf8.Span);
        else writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
    }
}
