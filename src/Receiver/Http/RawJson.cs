using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Receiver.Http;

/// <summary>
/// JSON stored as AP sent it (a snapshot), in UTF-8 as PostgreSQL hands it over (<c>convert_to(..., 'UTF8')</c>),
/// written to the response as it is: no parse, no re-serialization, and no UTF-16 copy twice its size.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(ReadOnlyMemory<byte> Utf8);

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(JsonMarshal.GetRawUtf8Value(document.RootElement).ToArray());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
}
