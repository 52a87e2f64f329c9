using System.Text;

namespace Receiver.Tests.Infrastructure;

/// <summary>One Server-Sent Events message: its fields, or a comment line.</summary>
public sealed record SseMessage(string? Id, string? Data, string? Retry, string? Comment);

/// <summary>Reads an SSE response message by message, as an EventSource would (WHATWG HTML §9.2).</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

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
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
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
