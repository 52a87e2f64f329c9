using System.Text.Json;
using Microsoft.Extensions.Options;
using Receiver.Auth;
using Receiver.Ingest;
using Receiver.Storage;

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
        services.AddSingleton<CursorCodec>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new UtcInstantConverter());
        });
        return services;
    }

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder routes)
    {
        var query = routes.MapGroup("")
            .RequireQueryAuth()
            .AddEndpointFilter<DatabaseUnavailableFilter>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        query.MapTransactions();
        query.MapQuotes();
        query.MapCustomers();
        query.MapRejectedEvents();
        return routes;
    }

    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string what, object id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No {what} with id '{id}' is stored.");
}

/// <summary>PostgreSQL down or too slow: 503 with <c>Retry-After</c>, as on <c>/event</c>, never a 500.</summary>
internal sealed class DatabaseUnavailableFilter(IOptions<IngestOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (DatabaseUnavailableException e)
        {
            context.HttpContext.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString();
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: $"{e.Message} Try again later.");
        }
    }
}
