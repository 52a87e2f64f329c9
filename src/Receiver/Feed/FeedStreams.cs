using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Feed;

/// <summary>
/// Server-Sent Events: replays what the client missed, then follows the feed live. Each stream reads the database
/// only when it is ready to write (pull, not push), so a slow or stalled client holds back nobody else and buffers
/// nothing: it simply reads further behind.
/// </summary>
internal sealed class FeedStreams(
    FeedStore store, FeedNotifier notifier, IOptions<FeedOptions> options, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime,
    ReceiverMetrics metrics)
{
    /// <summary>The last frame of a stream the server closes because it is shutting down: reconnect, elsewhere or later.</summary>
    internal const string ShutdownFrame = "event: shutdown\ndata: {\"reason\":\"the server is shutting down; reconnect with Last-Event-ID\"}\n\n";

    public async Task RunAsync(HttpContext context, long after, FeedFilter filter, int limit, CancellationToken cancellationToken)
    {
        // The first read comes before the first byte: a database outage is then still a plain 503 the client can see.
        var seen = notifier.Latest;
        var events = await store.AfterAsync(after, filter, limit, cancellationToken);

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-store";
        // nginx buffers proxied responses unless told otherwise; a buffered stream is no stream.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();

        using var consumer = metrics.FeedConsumerConnected(FeedConsumerKind.Sse);
        // A stream would otherwise hold shutdown up to its timeout: it ends when the client leaves or the server stops.
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            var heartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
            await WriteAsync(response, $"retry: {options.Value.RetryMilliseconds}\n\n", ends.Token);
            var silence = Stopwatch.StartNew();
            while (true)
            {
                if (events.Count > 0)
                {
                    after = events[^1].SequenceNumber;
                    await WriteAsync(response, Frame(events), ends.Token);
                    metrics.FeedDelivered(FeedConsumerKind.Sse, events);
                    silence.Restart();
                }
                else
                {
                    // Events of other filters wake us too; the heartbeat counts silence on this stream only.
                    var untilHeartbeat = heartbeat - silence.Elapsed;
                    if (untilHeartbeat <= TimeSpan.Zero)
                    {
                        await WriteAsync(response, ": heartbeat\n\n", ends.Token);
                        silence.Restart();
                        continue;
                    }
                    await notifier.WaitBeyondAsync(seen, untilHeartbeat, ends.Token);
                }
                seen = notifier.Latest;
                events = await store.AfterAsync(after, filter, limit, ends.Token);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await WriteAsync(response, ShutdownFrame, cancellationToken);
        }
        catch (DatabaseUnavailableException)
        {
            // Mid-stream there is no status to send: end the stream, and the client reconnects after its last id.
        }
    }

    /// <summary>
    /// <c>id:</c> the sequence number of the frame's last event; <c>data:</c> a JSON array of its events. A payload AP
    /// sent with line breaks (JSON whitespace) continues on further <c>data:</c> lines, which clients join with \n.
    /// </summary>
    private string Frame(List<FeedEvent> events)
    {
        // Only CR and LF end an SSE line; U+2028 and friends may stand unescaped inside JSON strings.
        var data = JsonSerializer.Serialize(events, json.Value.SerializerOptions).Replace("\r\n", "\n").Replace('\r', '\n').Replace("\n", "\ndata: ");
        return $"id: {events[^1].SequenceNumber}\ndata: {data}\n\n";
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
