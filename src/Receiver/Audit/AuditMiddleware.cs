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
    /// <summary>As nginx logs it: the client closed the connection before an answer.</summary>
    internal const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not { } endpoint || AuditedScopes(endpoint, context.User) is not { Length: > 0 } scopes)
        {
            await next(context);
            return;
        }

        var request = new AuditedRequest(writer, logger, clock.GetUtcNow(), context, endpoint, scopes);
        // When the status goes out: an action's record is committed before its answer, and a stream's read is recorded
        // as it starts, not hours later when it ends.
        context.Response.OnStarting(() => request.RecordAsync(context.Response.StatusCode));
        try
        {
            await next(context);
        }
        finally
        {
            // A client that went away before its answer started is answered nothing, and OnStarting never runs. A
            // failure is answered 500 by the exception handler, further out, which goes through OnStarting.
            if (!context.Response.HasStarted && context.RequestAborted.IsCancellationRequested) await request.RecordAsync(ClientClosedRequest);
        }
    }

    /// <summary>
    /// The scopes that make this request audited, none when it is not. The scrape endpoint, left out of the API's
    /// description, may require <c>read</c> but serves counts only: no data, nothing to record.
    /// </summary>
    internal static string[] AuditedScopes(Endpoint endpoint, ClaimsPrincipal caller) =>
        endpoint.Metadata.GetMetadata<RequiredScope>()?.Scope switch
        {
            Scopes.Operate => [Scopes.Operate],
            Scopes.Read when caller.MayReadPersonalData() && endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
                => [Scopes.ReadPersonal],
            _ => [],
        };

    /// <summary>What is known of a request when it arrives, recorded once with the status it is answered.</summary>
    private sealed class AuditedRequest(
        AuditWriter writer, ILogger logger, DateTimeOffset requestedAt, HttpContext context, Endpoint endpoint, string[] scopes)
    {
        private readonly string _target = context.Request.GetEncodedPathAndQuery();
        private int _recorded;

        public async Task RecordAsync(int status)
        {
            if (Interlocked.Exchange(ref _recorded, 1) == 1) return;
            var row = new AuditRow(
                requestedAt,
                // PostgreSQL's text holds no NUL, which a token's subject could carry: it would fail the whole batch.
                context.User.CallerName().Replace('\0', '\uFFFD'),
                scopes, context.Request.Method,
                (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint.DisplayName ?? "",
                _target, status, context.Connection.RemoteIpAddress?.ToString());
            if (!scopes.Contains(Scopes.Operate))
            {
                writer.Queue(row);
                return;
            }
            // The action is done: a record that cannot be written is an error of the audit trail, not of the answer.
            if (!await writer.WriteAsync(row))
                LogActionNotRecorded(logger, row.Method, row.Route, LogText.Escape(row.Caller), status);
        }
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "An operate action went unrecorded: {Method} {Route} by {Caller}, answered {Status}, is not in the audit trail (receiver_audit_records_dropped_total)")]
    private static partial void LogActionNotRecorded(ILogger logger, string method, string route, string caller, int status);
}
