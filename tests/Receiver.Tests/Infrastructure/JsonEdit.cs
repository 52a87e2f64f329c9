using System.Text.Json.Nodes;

namespace Receiver.Tests.Infrastructure;

/// <summary>Edits a body at a slash-separated pointer (<c>payload/transaction/amount_in/amount</c>; array items by index).</summary>
public static class JsonEdit
{
    /// <summary>Sets the value, given as JSON text; null removes the member.</summary>
    public static JsonObject Set(this JsonObject body, string pointer, string? json)
    {
        var segments = pointer.Split('/');
        JsonNode parent = body;
        foreach (var segment in segments[..^1])
            parent = (parent is JsonArray array ? array[int.Parse(segment)] : parent[segment])
                     ?? throw new ArgumentException($"{pointer}: nothing at {segment}");

        var last = segments[^1];
        var value = json is null ? null : JsonNode.Parse(json);
        if (parent is JsonArray items) items[int.Parse(last)] = value;
        else if (json is null) parent.AsObject().Remove(last);
        else parent[last] = value;
        return body;
    }
}
