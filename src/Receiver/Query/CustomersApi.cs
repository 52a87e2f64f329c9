using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Receiver.Auth;
using Receiver.Http;
using Receiver.Storage;

namespace Receiver.Query;

internal static class CustomersApi
{
    public static void MapCustomers(this RouteGroupBuilder query) =>
        query.MapGet("/customers/{id}", GetAsync)
            .WithTags("Customers")
            .WithName("GetCustomer").WithSummary("What we know of a customer, and the ids of its transactions, a page at a time")
            // Which transactions a person has is personal, as ?customer_id= on /transactions.
            .RequireQueryAuth(Scopes.ReadPersonal)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<CustomerSummary>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, [FromQuery(Name = "anchor")] string? anchor, [FromQuery(Name = "cursor")] string? cursor,
        [FromQuery(Name = "limit")] string? limit, HttpContext context, QueryStore store, CursorCodec cursors,
        CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("anchor", "cursor", "limit");
        // A customer is the receiver's own AP's unless a wallet names the anchor whose callback it came in.
        anchor = parameters.Text("anchor", anchor) ?? Anchors.Own;
        var take = parameters.Limit(limit);
        var identity = QueryIdentity.Of("customer", ("id", id), ("anchor", Anchors.Named(anchor)));
        var after = await parameters.CursorAsync(cursors, cursor, identity, cancellationToken);
        if (!parameters.IsValid) return parameters.Problem();

        if (await store.CustomerAsync(id, anchor, after, take + 1, cancellationToken) is not var (customer, transactions))
            return HttpApi.NotFound("customer", id);
        // A transaction's started_at never changes, so the ids need no pinned walk: one added meanwhile sorts after.
        var next = await TransactionsApi.NextCursorAsync(cursors, transactions, take, identity, asOf: 0, cancellationToken);
        return TypedResults.Ok(customer with { TransactionIds = [.. customer.TransactionIds.Take(take)], NextCursor = next, Limit = take });
    }
}
