using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Receiver.OpenApi;

/// <summary>
/// openapi/receiver.yaml, the hand-written contract of what Receiver accepts. The build embeds it, so the
/// served document always carries the text of the commit it was built from.
/// </summary>
internal static class ReceiverContract
{
    private const string ResourceName = "receiver.openapi.yaml";

    private static readonly Lazy<OpenApiDocument> Embedded = new(() =>
    {
        using var resource = typeof(ReceiverContract).Assembly.GetManifestResourceStream(ResourceName)
                             ?? throw new InvalidOperationException($"The build did not embed {ResourceName}; see Receiver.csproj.");
        return Read(resource, "yaml", ResourceName);
    });

    public static OpenApiDocument Document => Embedded.Value;

    /// <summary>Parses an OpenAPI document in YAML or JSON (<paramref name="format"/>); any reader error is fatal.</summary>
    public static OpenApiDocument Read(Stream stream, string format, string source)
    {
        var settings = new OpenApiReaderSettings();
        settings.AddYamlReader();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        buffer.Position = 0;

        var (document, diagnostic) = OpenApiDocument.Load(buffer, format, settings);
        if (document is null || diagnostic is { Errors.Count: > 0 })
        {
            var errors = diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}") ?? ["no document"];
            throw new InvalidOperationException($"{source} is not a valid OpenAPI document:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }
        return document;
    }
}
