using System.Collections.Frozen;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Receiver.Auth;
using Receiver.Configuration;
using Receiver.Http;
using Receiver.Telemetry;

namespace Receiver.Audit;

/// <summary>
/// The audit trail: who did what with <c>operate</c> and who read what with <c>read:personal</c>, recorded by
/// <see cref="AuditMiddleware"/>, served by <c>GET /audit</c> to <c>operate</c> credentials and kept for
/// <c>Retention:AuditRecords</c>. No other folder knows of it: the middleware decides from each endpoint's scope and its caller.
/// </summary>
public static class AuditEndpoints
{
    private static readonly FrozenSet<string> AuditedScopes = FrozenSet.Create(StringComparer.Ordinal, Scopes.Operate, Scopes.ReadPersonal);

    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditStore>();
        services.AddInstruments<AuditMetrics>();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<AuditWriter>());
        services.AddHostedService<AuditRetention>();
        return services;
    }

    /// <summary>After authorization: it records only requests that were let in, with the caller authorization found.</summary>
    public static IApplicationBuilder UseAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/audit", ListAsync)
            .RequireQueryAuth(Scopes.Operate)
            .WithTags("Audit")
            .WithName("ListAuditRecords").WithSummary("The audit trail: operate actions and reads of personal data")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }

    internal sealed class ListRequest
    {
        [FromQuery(Name = "caller")] public string? Caller { get; init; }
        [FromQuery(Name = "scope")] public string? Scope { get; init; }
        [FromQuery(Name = "since")] public string? Since { get; init; }
        [FromQuery(Name = "until")] public string? Until { get; init; }
        [FromQuery(Name = "after")] public string? After { get; init; }
        [FromQuery(Name = "cursor")] public string? Cursor { get; init; }
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
    }

    /// <summary>
    /// Newest first, or with <c>after</c> oldest first from that id on (to copy the trail elsewhere and keep the last
    /// id copied); <c>next_cursor</c> continues either walk with the same filters.
    /// </summary>
    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(
        [AsParameters] ListRequest request, HttpContext context, AuditStore store, CursorCodec cursors, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("caller", "scope", "since", "until", "after", "cursor", "limit");
        var filter = new AuditFilter(
            parameters.Text("caller", request.Caller), parameters.OneOf("scope", request.Scope, AuditedScopes),
            parameters.Instant("since", request.Since), parameters.Instant("until", request.Until));
        if (filter.Since >= filter.Until) parameters.Fail("until", "must be later than since");
        var after = parameters.Whole("after", request.After, 0, long.MaxValue);
        var limit = parameters.Limit(request.Limit);
        var ascending = request.After is not null;
        var identity = QueryIdentity.Of("audit", ("caller", filter.Caller), ("scope", filter.Scope), ("since", filter.Since),
            ("until", filter.Until), ("ascending", ascending));
        var cursor = await parameters.CursorAsync(cursors, request.Cursor, identity, cancellationToken);
        if (!parameters.IsValid) return parameters.Problem();

        var from = cursor is { Id: { } last } ? long.Parse(last) : after;
        var rows = await store.ListAsync(filter, from, ascending, limit + 1, cancellationToken);
        var next = rows.Count > limit
            ? await cursors.EncodeAsync(new Cursor(identity, 0, null, rows[limit - 1].Id.ToString()), cancellationToken)
            : null;
        return TypedResults.Ok(new AuditPage([.. rows.Take(limit)], next, limit));
    }
}
