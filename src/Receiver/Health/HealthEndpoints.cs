using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Receiver.Storage;

namespace Receiver.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new HealthResponse("healthy", null)))
            .WithName("Live").WithSummary("The process is up");
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("PostgreSQL answers and the schema is migrated")
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> ReadyAsync(
        HealthCheckService checks, CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), cancellationToken);
        var problems = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description ?? "unhealthy").ToArray();
        return problems.Length == 0
            ? TypedResults.Ok(new HealthResponse("healthy", null))
            : TypedResults.Json(new HealthResponse("unhealthy", problems), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

public sealed record HealthResponse(string Status, string[]? Problems);
