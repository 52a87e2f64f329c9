using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Receiver.Http;
using Receiver.PersonalData;

namespace Receiver.Query;

internal static class QuotesApi
{
    public static void MapQuotes(this RouteGroupBuilder query)
    {
        var quotes = query.MapGroup("/quotes").WithTags("Quotes");
        quotes.MapGet("", ListAsync)
            .WithName("ListQuotes").WithSummary("Quotes matching filters, newest created_at first");
        quotes.MapGet("/{id}", GetAsync)
            .WithName("GetQuote").WithSummary("A quote, as AP sent it in quote_created")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    internal sealed class ListRequest
    {
        [FromQuery(Name = "sell_asset")] public string? SellAsset { get; init; }
        [FromQuery(Name = "buy_asset")] public string? BuyAsset { get; init; }
        [FromQuery(Name = "created_after")] public string? CreatedAfter { get; init; }
        [FromQuery(Name = "cursor")] public string? Cursor { get; init; }
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
    }

    private static async Task<Results<Ok<QuotePage>, ValidationProblem>> ListAsync(
        [AsParameters] ListRequest request, HttpContext context, QueryStore store, CursorCodec cursors, PersonalDataView view,
        CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("sell_asset", "buy_asset", "created_after", "cursor", "limit");
        var filter = new QuoteFilter(
            parameters.Text("sell_asset", request.SellAsset),
            parameters.Text("buy_asset", request.BuyAsset),
            parameters.Instant("created_after", request.CreatedAfter));
        var limit = parameters.Limit(request.Limit);
        var identity = QueryIdentity.Of("quotes", ("sell_asset", filter.SellAsset), ("buy_asset", filter.BuyAsset), ("created_after", filter.CreatedAfter));
        var cursor = await parameters.CursorAsync(cursors, request.Cursor, identity, cancellationToken);
        if (!parameters.IsValid) return parameters.Problem();

        var asOf = cursor?.AsOf ?? await store.LatestSequenceAsync(cancellationToken);
        var rows = await store.QuotesAsync(filter, asOf, cursor, limit + 1, cancellationToken);
        var next = await TransactionsApi.NextCursorAsync(cursors, rows, limit, identity, asOf, cancellationToken);
        return TypedResults.Ok(new QuotePage([.. rows.Take(limit).Select(row => view.Show(row.Item, JsonShape.Quote))], next, limit));
    }

    private static async Task<Results<RawJsonHttpResult, ProblemHttpResult>> GetAsync(
        string id, QueryStore store, PersonalDataView view, CancellationToken cancellationToken) =>
        await store.QuoteAsync(id, cancellationToken) is { } snapshot
            ? new RawJsonHttpResult(view.Show(new RawJson(snapshot), JsonShape.Quote))
            : HttpApi.NotFound("quote", id);
}
