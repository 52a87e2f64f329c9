using System.Text;
using System.Collections.Frozen;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Receiver.Auth;
using Receiver.Http;
using Receiver.Ingest;
using Receiver.PersonalData;
using Receiver.Storage;

namespace Receiver.Query;

internal static class RejectedEventsApi
{
    private static readonly FrozenSet<string> Reasons =
        FrozenSet.Create(StringComparer.Ordinal, RejectionReasons.Invalid, RejectionReasons.ConflictingDuplicate);

    public static void MapRejectedEvents(this RouteGroupBuilder query)
    {
        var rejected = query.MapGroup("/rejected-events").WithTags("Rejected events");
        rejected.MapGet("", ListAsync)
            .WithName("ListRejectedEvents").WithSummary("Bodies refused as events, most recently first received first");
        rejected.MapGet("/{id:long}", GetAsync)
            .WithName("GetRejectedEvent").WithSummary("A rejected event with its raw body and errors")
            .ProducesProblem(StatusCodes.Status404NotFound);
        rejected.MapPost("/{id:long}/replay", ReplayAsync)
            .RequireQueryAuth(Scopes.Operate)
            .WithName("ReplayRejectedEvent").WithSummary("Run a rejected body through ingest again")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    internal sealed class ListRequest
    {
        [FromQuery(Name = "reason")] public string? Reason { get; init; }
        [FromQuery(Name = "event_id")] public string? EventId { get; init; }
        [FromQuery(Name = "cursor")] public string? Cursor { get; init; }
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
    }

    private static async Task<Results<Ok<RejectedEventPage>, ValidationProblem>> ListAsync(
        [AsParameters] ListRequest request, HttpContext context, QueryStore store, CursorCodec cursors, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("reason", "event_id", "cursor", "limit");
        var filter = new RejectedFilter(parameters.OneOf("reason", request.Reason, Reasons), parameters.Text("event_id", request.EventId));
        var limit = parameters.Limit(request.Limit);
        var identity = QueryIdentity.Of("rejected-events", ("reason", filter.Reason), ("event_id", filter.EventId));
        var cursor = await parameters.CursorAsync(cursors, request.Cursor, identity, cancellationToken);
        if (!parameters.IsValid) return parameters.Problem();

        var rows = await store.RejectedEventsAsync(filter, cursor is { Id: { } last } ? long.Parse(last) : null, limit + 1, cancellationToken);
        var next = rows.Count > limit
            ? await cursors.EncodeAsync(new Cursor(identity, 0, null, rows[limit - 1].Id.ToString()), cancellationToken)
            : null;
        return TypedResults.Ok(new RejectedEventPage([.. rows.Take(limit)], next, limit));
    }

    private static async Task<Results<Ok<RejectedEventDetail>, ProblemHttpResult>> GetAsync(
        long id, QueryStore store, PersonalDataView view, CancellationToken cancellationToken)
    {
        if (await store.RejectedEventAsync(id, cancellationToken) is not var (summary, body)) return HttpApi.NotFound("rejected event", id);
        var shown = view.ShowReceived(body);
        return TypedResults.Ok(new RejectedEventDetail(
            summary.Id, summary.EventId, summary.EventType, summary.Reason, summary.Errors, summary.Attempts,
            summary.FirstReceivedAt, summary.LastReceivedAt, summary.ReplayedAt, summary.ReplayOutcome,
            shown is null ? PersonalDataFilter.Marker : Encoding.UTF8.GetString(shown),
            shown is null ? PersonalDataFilter.Marker : Convert.ToBase64String(shown)));
    }

    private static async Task<Results<Ok<ReplayResult>, ProblemHttpResult>> ReplayAsync(
        long id, QueryStore store, EventIngestor ingestor, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await store.RejectedBodyAsync(id, cancellationToken) is not { } body) return HttpApi.NotFound("rejected event", id);

        var outcome = await ingestor.ReplayAsync(body, cancellationToken);
        // Replay answers, never refuses: an event still invalid is "invalid", whether ingest would reject or park it.
        var name = outcome.Result is IngestResult.Rejected or IngestResult.Parked ? Outcomes.Invalid : outcome.Result.Name();
        await store.RecordReplayAsync(id, name, clock.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new ReplayResult(id, outcome.EventId, name, outcome.Errors));
    }
}
