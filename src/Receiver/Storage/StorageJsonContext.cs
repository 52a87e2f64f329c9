using System.Text.Json.Serialization;

namespace Receiver.Storage;

/// <summary>A transaction's text arrays travel to the batch insert as JSON arrays (see EventStore).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
