using Microsoft.AspNetCore.Http.HttpResults;
using Receiver.Http;

namespace Receiver.Query;

internal static class CustomersApi
{
    public static void MapCustomers(this RouteGroupBuilder query) =>
        query.MapGet("/customers/{id}", GetAsync)
            .WithTags("Customers")
            .WithName("GetCustomer").WithSummary("What we know of a customer, and the ids of its transactions")
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<CustomerSummary>, ProblemHttpResult>> GetAsync(string id, QueryStore store, CancellationToken cancellationToken) =>
        await store.CustomerAsync(id, cancellationToken) is { } customer
            ? TypedResults.Ok(customer)
            : HttpApi.NotFound("customer", id);
}
