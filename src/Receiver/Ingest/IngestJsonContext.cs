using System.Text.Json.Serialization;

namespace Receiver.Ingest;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string[]>))]
internal sealed partial class IngestJsonContext : JsonSerializerContext;
