using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Receiver.Configuration;
using Receiver.Storage;

namespace Receiver.Http;

/// <summary>What every API of Receiver shares: problem details, HSTS, AP's JSON conventions, cursors, and the same 404 and 503 answers.</summary>
public static class HttpApi
{
    public static IServiceCollection AddHttpApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        // By default Kestrel hands a request over twice: the thread that completes a receive passes the request to the
        // thread pool, and the response, once written, is passed to one of Kestrel's I/O queues to be sent. Inline, the
        // request runs where its bytes were received and its response is sent by the thread that wrote it. On the bench's
        // two shared cores that is 1.12 times the rate of AP's sequential delivery in two A/Bs, and no change at 32
        // connections (docs/performance.md, Hand-overs). Socket completions still reach thread-pool threads while
        // DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS is unset, so no request runs on the sockets' polling thread.
        // Http:InlineScheduling turns it off; it is off on Windows, where it was never measured.
        services.AddValidatedOptions<HttpOptions>(HttpOptions.Section);
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<HttpOptions>>((transport, http) =>
        {
            // Kestrel's transport is made as the app is built, before the settings are checked: a value that cannot be
            // read is left to that check, which names it with every other bad setting, rather than crashing here.
            try
            {
                transport.UnsafePreferInlineScheduling = http.Value.InlineScheduling;
            }
            catch (OptionsValidationException)
            {
            }
        });
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        // HTTPS is Kestrel's (docs/operations.md, HTTPS); responses over it tell browsers to stay on it (UseHsts).
        // /event is never redirected.
        services.AddHsts(hsts =>
        {
            hsts.MaxAge = TimeSpan.FromDays(365);
            hsts.ExcludedHosts.Clear();
        });
        services.AddSingleton<CursorCodec>();
        // AP's own names and instants: snake_case members, RFC 3339 in UTC.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new UtcInstantConverter());
        });
        return services;
    }

    internal static ProblemHttpResult NotFound(string what, object id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No {what} with id '{id}' is stored.");

    /// <summary>The 503 of a request PostgreSQL could not serve in time, with the configured <c>Retry-After</c>.</summary>
    internal static ProblemHttpResult DatabaseUnavailable(HttpContext context, DatabaseOptions options, string detail)
    {
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString();
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: detail);
    }
}

/// <summary>
/// PostgreSQL down or too slow: 503 with <c>Retry-After</c>, as on <c>/event</c>, never a 500, from whichever endpoint
/// the failure reaches the exception handler (<c>UseExceptionHandler</c>). Handled here rather than by a filter on each
/// endpoint, which made every request of the query API pay for the filter pipeline; ASP.NET logs no error for an
/// exception a handler answers.
/// </summary>
internal sealed class DatabaseUnavailableHandler(IOptions<DatabaseOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DatabaseUnavailableException unavailable) return false;
        await HttpApi.DatabaseUnavailable(context, options.Value, $"{unavailable.Message} Try again later.").ExecuteAsync(context);
        return true;
    }
}
