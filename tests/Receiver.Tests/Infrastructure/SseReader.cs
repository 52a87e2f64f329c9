using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Receiver.Tests.Infrastructure;

/// <summary>One Server-Sent Events message: its fields, or a comment line.</summary>
public sealed record SseMessage(string? Id, string? Data, string? Retry, string? Comment);

/// <summary>Reads an SSE response message by message, as an EventSource would (WHATWG HTML §9.2).</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>Opens an event stream (after <paramref name="lastEventId"/> when given), asserting a <c>200</c>.</summary>
    public static async Task<(HttpResponseMessage Response, SseReader Reader)> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, new SseReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Events from frames, each with its frame's id, until <paramref name="count"/> have come, skipping heartbeats.</summary>
    public async Task<List<(string FrameId, JsonNode Event)>> EventsAsync(int count)
    {
        var events = new List<(string, JsonNode)>();
        while (events.Count < count)
        {
            var message = await NextAsync() ?? throw new InvalidOperationException("the stream ended");
            if (message.Data is null) continue;
            foreach (var e in JsonNode.Parse(message.Data)!.AsArray()) events.Add((message.Id!, e!));
        }
        return events;
    }

    /// <summary>The next message, or null at the end of the stream; fails when none comes within the timeout.</summary>
    public async Task<SseMessage?> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        string? id = null, retry = null, comment = null;
        StringBuilder? data = null;
        while (await _reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (id is null && data is null && retry is null && comment is null) continue;
                return new SseMessage(id, data?.ToString(), retry, comment);
            }
            if (line.StartsWith(':')) { comment = line[1..].Trim(); continue; }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            // One space after the colon is the field's, any more are the value's.
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "id": id = value; break;
                case "retry": retry = value; break;
                case "data":
                    if (data is null) data = new StringBuilder(value);
                    else data.Append('\n').Append(value);
                    break;
            }
        }
        return null;
    }

    public void Dispose() => _reader.Dispose();
}
