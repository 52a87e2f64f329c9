using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Receiver.Ingest;

/// <summary>
/// Reads a request body whole into an array of its own. The array is the stored event's body: it goes into the
/// writer's queue and may be sent to PostgreSQL after the request has ended (its client gave up, or it was answered
/// 503), so it must never be memory that the request gives back to a pool.
/// </summary>
internal static class RequestBody
{
    private const int UnknownLengthStart = 16 * 1024;

    /// <summary>
    /// The JSON body of a request whose body is stored (<c>POST /event</c>, a wallet's callback): its bytes, or the
    /// problem to answer: 415 for another media type, 413 past <paramref name="limit"/> (<c>Ingest:MaxBodyBytes</c>),
    /// Kestrel's 400 or 408 for a body that cannot be read as it is framed.
    /// </summary>
    public static async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadJsonAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                detail: $"Content-Type must be application/json; got '{request.ContentType ?? "none"}'."));
        try
        {
            return await ReadAsync(request, limit, cancellationToken) is { } body
                ? (body, null)
                : (null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
                    detail: $"The body is larger than Ingest:MaxBodyBytes ({limit} bytes)."));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel cannot read the body as it is framed: it ends before its Content-Length, its chunks are malformed
            // (400), or it arrives slower than Kestrel's minimum data rate (408). The client's fault, not a 500.
            return (null, TypedResults.Problem(statusCode: e.StatusCode, detail: $"The body could not be read: {e.Message}"));
        }
    }

    /// <summary>Reads the body, or returns null once it is longer than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;

        // Kestrel stops reading past the limit too, so a body without Content-Length cannot grow unbounded.
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit + 1L;

        try
        {
            // AP always sends Content-Length: read straight into an array of that size, no copy.
            return request.ContentLength is { } declared
                ? await ReadDeclaredAsync(request.Body, (int)declared, cancellationToken)
                : await ReadChunkedAsync(request.Body, limit, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    /// <summary>Kestrel ends the body at its Content-Length and fails one that ends before it.</summary>
    private static async Task<byte[]> ReadDeclaredAsync(Stream body, int declared, CancellationToken cancellationToken)
    {
        var buffer = new byte[declared];
        var length = 0;
        while (length < declared)
        {
            var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0) return buffer[..length];
            length += read;
        }
        return buffer;
    }

    /// <summary>Without a length, grows through pooled buffers and copies the result out; no pooled array leaves here.</summary>
    private static async Task<byte[]?> ReadChunkedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(UnknownLengthStart, limit + 1));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit) return null;
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, limit + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0) return length > limit ? null : buffer[..length];
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
