using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Receiver.Http;

/// <summary>
/// JSON stored as AP sent it (a snapshot), in UTF-8 as PostgreSQL hands it over (a JSON column read as bytes),
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

/// <summary>
/// 200 with stored JSON, written straight to the response. ASP.NET's <c>Ok&lt;RawJson&gt;</c> went through
/// JsonSerializer's asynchronous path (a state machine, a writer and a flush of its own per response) to write bytes
/// that need no serializing; here a value written as stored goes with its length in one write, and a rewritten one
/// through one <see cref="Utf8JsonWriter"/> on the response's pipe, sent when the request ends. What OpenAPI says of
/// it is what it said of <c>Ok&lt;RawJson&gt;</c>.
/// </summary>
public sealed class RawJsonHttpResult(RawJson value)
    : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<RawJson>, IContentTypeHttpResult
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public RawJson Value => value;

    object? IValueHttpResult.Value => value;

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => JsonContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = JsonContentType;
        if (value.Rewrite is not { } rewrite)
        {
            response.ContentLength = value.Utf8.Length;
            await response.BodyWriter.WriteAsync(value.Utf8, httpContext.RequestAborted);
            return;
        }
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = json.Encoder, Indented = json.WriteIndented });
        rewrite.Write(writer, value.Utf8.Span);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(RawJson), ["application/json"]));
}
