using System.Net;
using System.Text.Json.Nodes;

namespace Receiver.Tests.Infrastructure;

public static class QueryClient
{
    /// <summary>GETs a JSON answer, failing with the body when the status is not the expected one.</summary>
    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Every row of a list, page after page, following <c>next_cursor</c>.</summary>
    public static async Task<List<JsonNode>> WalkAsync(this HttpClient client, string url, Func<Task>? betweenPages = null)
    {
        var rows = new List<JsonNode>();
        var separator = url.Contains('?') ? "&" : "?";
        string? cursor = null;
        do
        {
            var page = await client.GetJsonAsync(cursor is null ? url : $"{url}{separator}cursor={Uri.EscapeDataString(cursor)}");
            rows.AddRange(page["data"]!.AsArray().Select(row => row!));
            cursor = (string?)page["next_cursor"];
            if (betweenPages is not null) await betweenPages();
        } while (cursor is not null);
        return rows;
    }
}
