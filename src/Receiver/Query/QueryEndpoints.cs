using Receiver.Auth;
using Receiver.Http;

namespace Receiver.Query;

/// <summary>
/// The query API: transactions, quotes, customers and rejected events, behind the query credentials
/// (<see cref="QueryAuth"/>), in AP's snake_case field names.
/// </summary>
public static class QueryEndpoints
{
    public static IServiceCollection AddQuery(this IServiceCollection services)
    {
        services.AddSingleton<QueryStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder routes)
    {
        var query = routes.MapGroup("")
            .RequireQueryAuth(Scopes.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        query.MapTransactions();
        query.MapQuotes();
        query.MapCustomers();
        query.MapRejectedEvents();
        return routes;
    }
}
