using System.Security.Claims;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;
using Receiver.Auth;
using Receiver.Telemetry;

namespace Receiver.Audit;

/// <summary>
/// Decides, for every request, from its endpoint and its caller, whether it goes in the audit trail, and records it
/// once its status is known: every request to an endpoint that requires <c>operate</c>, and every request to one that
/// requires <c>read</c> (the query API, the feed) by a caller holding <c>read:personal</c>. Placed after authorization,
/// so it sees only requests that were let in: who made a refused one is not known (401), or it did nothing and saw
/// nothing (403).
/// </summary>
internal sealed partial class AuditMiddleware(RequestDelegate next, AuditWriter writer, TimeProvider clock, ILogger<AuditMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not { } endpoint || AuditedScopes(endpoint, context.User) is not { Length: > 0 } scopes)
        {
            await next(context);
            return;
        }

        var requestedAt = clock.GetUtcNow();
        var target = context.Request.GetEncodedPathAndQuery();
        // When the status goes out: an action's record is committed before its answer, and a stream's read is recorded
        // as it starts, not hours later when it ends. Every request gets there, even one that failed (the exception
        // handler, further out, answers 500) or whose client went away (499, by the same handler; Kestrel still runs
        // OnStarting for it).
        context.Response.OnStarting(() => RecordAsync(context, endpoint, scopes, requestedAt, target));
        await next(context);
    }

    /// <summary>
    /// The scopes that make this request audited, none when it is not. The scrape endpoint, left out of the API's
    /// description, may require <c>read</c> but serves counts only: no data, nothing to record.
    /// </summary>
    internal static string[] AuditedScopes(Endpoint endpoint, ClaimsPrincipal caller) =>
        endpoint.Metadata.GetMetadata<RequiredScope>()?.Scope switch
        {
            Scopes.Operate => [Scopes.Operate],
            Scopes.ReadPersonal => [Scopes.ReadPersonal],
            Scopes.Read when caller.MayReadPersonalData() && endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
                => [Scopes.ReadPersonal],
            _ => [],
        };

    private async Task RecordAsync(HttpContext context, Endpoint endpoint, string[] scopes, DateTimeOffset requestedAt, string target)
    {
        var row = new AuditRow(
            requestedAt,
            // PostgreSQL's text holds no NUL, which a token's subject could carry: it would fail the whole batch.
            context.User.CallerName().Replace('\0', '\uFFFD'),
            scopes, context.Request.Method,
            (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint.DisplayName ?? "",
            target, context.Response.StatusCode, context.Connection.RemoteIpAddress?.ToString());
        if (!scopes.Contains(Scopes.Operate))
        {
            writer.Queue(row);
            return;
        }
        // The action is done: a record that cannot be written is an error of the audit trail, not of the answer.
        if (!await writer.WriteAsync(row))
            LogActionNotRecorded(logger, row.Method, row.Route, LogText.Escape(row.Caller), row.Status);
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "An operate action went unrecorded: {Method} {Route} by {Caller}, answered {Status}, is not in the audit trail (receiver_audit_records_dropped_total)")]
    private static partial void LogActionNotRecorded(ILogger logger, string method, string route, string caller, int status);
}
