using System.Text.Json.Serialization;

namespace Receiver.Ingest;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string[]>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class IngestJsonContext : JsonSerializerContext;
