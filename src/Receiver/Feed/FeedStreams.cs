using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Receiver.PersonalData;
using Receiver.Storage;

namespace Receiver.Feed;

/// <summary>
/// Server-Sent Events: replays what the client missed, then follows the feed live. Each stream reads the database
/// only when it is ready to write (pull, not push), one page of at most <c>Feed:MaxPageBytes</c> at a time, and
/// writes it event by event, waiting for the connection to take each: a slow or stalled client holds back nobody
/// else and holds little memory, and one that takes nothing for <c>Feed:WriteTimeoutSeconds</c> is dropped.
/// </summary>
internal sealed partial class FeedStreams(
    FeedStore store, FeedNotifier notifier, IOptions<FeedOptions> options, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime,
    FeedMetrics metrics, TimeProvider clock, ILogger<FeedStreams> logger)
{
    /// <summary>The last frame of a stream the server closes because it is shutting down: reconnect, elsewhere or later.</summary>
    internal const string ShutdownFrame = "event: shutdown\ndata: {\"reason\":\"the server is shutting down; reconnect with Last-Event-ID\"}\n\n";

    public async Task RunAsync(HttpContext context, long after, FeedFilter filter, int limit, PersonalDataView view, CancellationToken cancellationToken)
    {
        try
        {
            await StreamAsync(context, after, filter, limit, view, cancellationToken);
        }
        catch (ReaderStalledException)
        {
            LogReaderStalled(logger, options.Value.WriteTimeoutSeconds);
            metrics.StreamDropped();
            // Ending the response politely would wait on the same full connection: close it, and what it holds goes.
            context.Abort();
        }
    }

    private async Task StreamAsync(
        HttpContext context, long after, FeedFilter filter, int limit, PersonalDataView view, CancellationToken cancellationToken)
    {
        // The first read comes before the first byte: a database outage is then still a plain 503 the client can see.
        var seen = notifier.Readable;
        var events = await store.AfterAsync(after, filter, limit, seen, view, cancellationToken);
        if (await store.FirstRetainedWhenBehindAsync(after, cancellationToken) is { } firstRetained)
        {
            await FeedEndpoints.Gone(after, firstRetained).ExecuteAsync(context);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-store";
        // nginx buffers proxied responses unless told otherwise; a buffered stream is no stream.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();

        using var consumer = metrics.Connected(FeedConsumerKind.Sse);
        var output = new EventStream(response.BodyWriter, TimeSpan.FromSeconds(options.Value.WriteTimeoutSeconds), json.Value.SerializerOptions);
        // A stream would otherwise hold shutdown up to its timeout: it ends when the client leaves or the server stops.
        // Writes take the client's token only, so a frame under way is finished and the shutdown frame never lands in one.
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            var heartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
            await output.WriteAsync($"retry: {options.Value.RetryMilliseconds}\n\n", cancellationToken);
            var silentSince = clock.GetTimestamp();
            while (true)
            {
                if (events.Count > 0)
                {
                    after = events[^1].SequenceNumber;
                    await output.WriteFrameAsync(events, cancellationToken);
                    metrics.Delivered(FeedConsumerKind.Sse, events);
                    silentSince = clock.GetTimestamp();
                }
                else
                {
                    // Events of other filters wake us too; the heartbeat counts silence on this stream only.
                    var untilHeartbeat = heartbeat - clock.GetElapsedTime(silentSince);
                    if (untilHeartbeat <= TimeSpan.Zero)
                    {
                        await output.WriteAsync(": heartbeat\n\n", cancellationToken);
                        silentSince = clock.GetTimestamp();
                        continue;
                    }
                    await notifier.WaitBeyondAsync(seen, untilHeartbeat, ends.Token);
                }
                seen = notifier.Readable;
                // Let go of the page written before reading the next: a stream holds one page at a time.
                events = [];
                events = await store.AfterAsync(after, filter, limit, seen, view, ends.Token);
                // Retention may have dropped a month while this reader was in it: end the stream rather than skip what
                // it lost; the reconnect (after the last frame it got) is then answered 410.
                if (events.Count > 0 && await store.FirstRetainedWhenBehindAsync(after, ends.Token) is not null) return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await output.WriteAsync(ShutdownFrame, cancellationToken);
        }
        catch (DatabaseUnavailableException)
        {
            // Mid-stream there is no status to send: end the stream, and the client reconnects after its last id.
        }
    }

    /// <summary>The reader took nothing of a write within <c>Feed:WriteTimeoutSeconds</c>.</summary>
    private sealed class ReaderStalledException : Exception;

    /// <summary>
    /// Writes SSE messages in UTF-8 straight to the response, flushing after each message and each event of a frame;
    /// a flush waits while the connection holds more than Kestrel's response buffer, at most the write timeout.
    /// </summary>
    private sealed class EventStream(PipeWriter output, TimeSpan writeTimeout, JsonSerializerOptions serializer)
    {
        public async Task WriteAsync(string message, CancellationToken cancellationToken)
        {
            Encoding.UTF8.GetBytes(message, output);
            await FlushAsync(cancellationToken);
        }

        /// <summary>
        /// <c>id:</c> the sequence number of the frame's last event; <c>data:</c> a JSON array of its events, the same
        /// text as serializing the list, written one event at a time. A payload AP sent with line breaks (JSON
        /// whitespace) continues on further <c>data:</c> lines, which clients join with \n.
        /// </summary>
        public async Task WriteFrameAsync(List<FeedEvent> events, CancellationToken cancellationToken)
        {
            Encoding.UTF8.GetBytes($"id: {events[^1].SequenceNumber}\ndata: ", output);
            using var data = new DataLines(output);
            await using var writer = new Utf8JsonWriter(data, new JsonWriterOptions { Encoder = serializer.Encoder, Indented = serializer.WriteIndented });
            writer.WriteStartArray();
            foreach (var feedEvent in events)
            {
                JsonSerializer.Serialize(writer, feedEvent, serializer);
                writer.Flush();
                await FlushAsync(cancellationToken);
            }
            writer.WriteEndArray();
            writer.Flush();
            await WriteAsync("\n\n", cancellationToken);
        }

        /// <summary>
        /// The timer's own token tells a stalled reader from one that left, not the client's: Kestrel aborts the
        /// connection when a flush is cancelled, which cancels the client's token (RequestAborted) too, from the thread
        /// pool, and now and then before the cancelled flush reaches this catch.
        /// </summary>
        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            using var timer = new CancellationTokenSource(writeTimeout);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                await output.FlushAsync(either.Token);
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested)
            {
                throw new ReaderStalledException();
            }
        }
    }

    /// <summary>
    /// The <c>data:</c> field of a frame: bytes written to it go to the response with every line break continued on a
    /// new <c>data:</c> line (only CR and LF end an SSE line; U+2028 and friends may stand unescaped inside JSON
    /// strings). CR, LF and CRLF are one break each, as an EventSource reads them. The scratch buffer it lends the
    /// JSON writer is pooled, and returned when the frame is written.
    /// </summary>
    private sealed class DataLines(PipeWriter output) : IBufferWriter<byte>, IDisposable
    {
        private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);
        private bool _afterCarriageReturn;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

        private byte[] Scratch(int sizeHint)
        {
            if (sizeHint > _scratch.Length)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = ArrayPool<byte>.Shared.Rent(sizeHint);
            }
            return _scratch;
        }

        public void Advance(int count)
        {
            var written = _scratch.AsSpan(0, count);
            if (_afterCarriageReturn && !written.IsEmpty)
            {
                if (written[0] == (byte)'\n') written = written[1..];
                _afterCarriageReturn = false;
            }
            while (written.IndexOfAny((byte)'\r', (byte)'\n') is var lineBreak and >= 0)
            {
                output.Write(written[..lineBreak]);
                output.Write("\ndata: "u8);
                var isCarriageReturn = written[lineBreak] == (byte)'\r';
                written = written[(lineBreak + 1)..];
                if (isCarriageReturn && !written.IsEmpty && written[0] == (byte)'\n') written = written[1..];
                else _afterCarriageReturn = isCarriageReturn && written.IsEmpty;
            }
            output.Write(written);
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_scratch);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Dropped an event stream: its reader did not take what was written within {WriteTimeoutSeconds} s (Feed:WriteTimeoutSeconds)")]
    private static partial void LogReaderStalled(ILogger logger, int writeTimeoutSeconds);
}
