using System.Text.Json;
using System.Text.Json.Serialization;

namespace Receiver.Http;

/// <summary>Every instant the query API writes is RFC 3339 in UTC with a <c>Z</c>, as AP writes its own.</summary>
internal sealed class UtcInstantConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime);
}
