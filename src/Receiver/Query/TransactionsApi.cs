using System.Collections.Frozen;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Receiver.AnchorPlatform;
using Receiver.Auth;
using Receiver.Http;
using Receiver.Ingest;
using Receiver.PersonalData;
using Receiver.Storage;

namespace Receiver.Query;

internal static class TransactionsApi
{
    private static readonly FrozenSet<string> Kinds = Seps.All.SelectMany(Seps.KindsOf).ToFrozenSet(StringComparer.Ordinal);

    public static void MapTransactions(this RouteGroupBuilder query)
    {
        var transactions = query.MapGroup("/transactions").WithTags("Transactions");
        transactions.MapGet("", ListAsync)
            .WithName("ListTransactions").WithSummary("Transactions matching filters, newest updated_at first");
        transactions.MapGet("/{id}", GetAsync)
            .WithName("GetTransaction").WithSummary("The newest snapshot of a transaction, as AP (or, for a wallet, the anchor) sent it")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        transactions.MapGet("/{id}/events", TimelineAsync)
            .WithName("GetTransactionEvents").WithSummary("A transaction's events, oldest first")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    internal sealed class ListRequest
    {
        [FromQuery(Name = "sep")] public string? Sep { get; init; }
        [FromQuery(Name = "kind")] public string? Kind { get; init; }
        [FromQuery(Name = "status")] public string[]? Status { get; init; }
        [FromQuery(Name = "asset")] public string? Asset { get; init; }
        [FromQuery(Name = "updated_after")] public string? UpdatedAfter { get; init; }
        [FromQuery(Name = "updated_before")] public string? UpdatedBefore { get; init; }
        [FromQuery(Name = "customer_id")] public string? CustomerId { get; init; }
        [FromQuery(Name = "account")] public string? Account { get; init; }
        [FromQuery(Name = "anchor")] public string? Anchor { get; init; }
        [FromQuery(Name = "cursor")] public string? Cursor { get; init; }
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
    }

    private static async Task<Results<Ok<TransactionPage>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [AsParameters] ListRequest request, HttpContext context, QueryStore store, CursorCodec cursors,
        IOptions<IngestOptions> ingest, PersonalDataView view, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("sep", "kind", "status", "asset", "updated_after", "updated_before", "customer_id", "account", "anchor", "cursor", "limit");
        var filter = new TransactionFilter(
            parameters.OneOf("sep", request.Sep, Seps.All),
            parameters.OneOf("kind", request.Kind, Kinds),
            parameters.AllOf("status", request.Status, ingest.Value.AcceptedStatuses),
            parameters.Text("asset", request.Asset),
            parameters.Instant("updated_after", request.UpdatedAfter),
            parameters.Instant("updated_before", request.UpdatedBefore),
            parameters.Text("customer_id", request.CustomerId),
            parameters.Text("account", request.Account),
            parameters.Text("anchor", request.Anchor));
        var limit = parameters.Limit(request.Limit);
        var identity = QueryIdentity.Of("transactions",
            ("sep", filter.Sep), ("kind", filter.Kind), ("status", filter.Statuses.Order(StringComparer.Ordinal).ToArray()),
            ("asset", filter.Asset), ("updated_after", filter.UpdatedAfter), ("updated_before", filter.UpdatedBefore),
            ("customer_id", filter.CustomerId), ("account", filter.Account), ("anchor", filter.Anchor));
        var cursor = await parameters.CursorAsync(cursors, request.Cursor, identity, cancellationToken);
        if (!parameters.IsValid) return parameters.Problem();
        // Which transactions a person has is personal, whatever their bodies show.
        if ((filter.CustomerId is not null || filter.Account is not null) && !view.ShowsPersonalData)
            return AuthProblem.InsufficientScope(Scopes.ReadPersonal);

        var asOf = cursor?.AsOf ?? await store.LatestSequenceAsync(cancellationToken);
        var rows = await store.TransactionsAsync(filter, asOf, cursor, limit + 1, cancellationToken);
        var next = await NextCursorAsync(cursors, rows, limit, identity, asOf, cancellationToken);
        return TypedResults.Ok(new TransactionPage([.. rows.Take(limit).Select(row => view.Show(row.Item, JsonShape.Transaction))], next, limit));
    }

    /// <summary>A cursor after the last row of this page, when a row beyond it exists.</summary>
    internal static async Task<string?> NextCursorAsync<T>(
        CursorCodec cursors, List<Listed<T>> rows, int limit, string identity, long asOf, CancellationToken cancellationToken)
    {
        if (rows.Count <= limit) return null;
        var last = rows[limit - 1];
        return await cursors.EncodeAsync(
            new Cursor(identity, asOf, last.OrderKey.UtcTicks, last.Id, Anchors.Named(last.Anchor)), cancellationToken);
    }

    private static async Task<Results<RawJsonHttpResult, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, [FromQuery(Name = "anchor")] string? anchor, HttpContext context, QueryStore store, PersonalDataView view,
        CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("anchor");
        anchor = parameters.Text("anchor", anchor);
        if (!parameters.IsValid) return parameters.Problem();

        return await store.TransactionAsync(id, anchor, cancellationToken) switch
        {
            [] => HttpApi.NotFound("transaction", id),
            [var only] => new RawJsonHttpResult(view.Show(new RawJson(only.Snapshot), JsonShape.Transaction)),
            var several => Ambiguous(id, several.Select(found => found.Anchor)),
        };
    }

    private static async Task<Results<Ok<TransactionTimeline>, ValidationProblem, ProblemHttpResult>> TimelineAsync(
        string id, [FromQuery(Name = "anchor")] string? anchor, HttpContext context, QueryStore store, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("anchor");
        anchor = parameters.Text("anchor", anchor);
        if (!parameters.IsValid) return parameters.Problem();

        var events = await store.TimelineAsync(id, anchor, cancellationToken);
        var anchors = events.Select(entry => entry.Anchor ?? Anchors.Own).Distinct().ToList();
        return anchors.Count switch
        {
            0 => HttpApi.NotFound("transaction", id),
            1 => TypedResults.Ok(new TransactionTimeline(events)),
            _ => Ambiguous(id, anchors),
        };
    }

    // Each anchor makes its own ids, so a wallet may hold two transactions with one id: the caller says which.
    private static ProblemHttpResult Ambiguous(string id, IEnumerable<string> anchors) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            detail: $"More than one anchor has a transaction with id '{id}' ({string.Join(", ", anchors.Select(a => Anchors.Named(a) ?? "this receiver's own AP"))}): " +
                    "name one with ?anchor=.");
}
