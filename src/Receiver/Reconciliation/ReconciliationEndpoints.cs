using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Receiver.Auth;
using Receiver.Configuration;
using Receiver.Http;
using Receiver.Telemetry;

namespace Receiver.Reconciliation;

/// <summary>One reconciliation run, as <c>/reconciliation/runs</c> answers it.</summary>
public sealed record ReconciliationRun(
    long Id, string Trigger, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    int TransactionsChecked, int GapsClosed, int ErrorCount, IReadOnlyList<string> Errors);

/// <summary>The latest runs, newest first, and whether reconciliation is configured on this instance.</summary>
public sealed record ReconciliationRunPage(bool Enabled, IReadOnlyList<ReconciliationRun> Data, int Limit);

/// <summary>
/// Reconciliation with AP's Platform API: AP loses an event when its Kafka is down at publish time, and sends none
/// while <c>events.enabled</c> is off, so Receiver asks AP what it holds and stores what it missed
/// (see <see cref="Reconciler"/>). On only when <c>Reconciliation:PlatformApiBaseUrl</c> is set.
/// </summary>
public static class ReconciliationEndpoints
{
    private const int DefaultRuns = 20;
    private const int MaxRuns = 100;

    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddValidatedOptions<ReconciliationOptions, ReconciliationOptionsValidator>(ReconciliationOptions.Section);
        services.AddTransient<PlatformApiAuthHandler>();
        var platformApi = services.AddHttpClient<PlatformApiHttp>((provider, http) =>
            {
                var settings = provider.GetRequiredService<IOptions<ReconciliationOptions>>().Value;
                // A trailing slash, so relative paths keep a base path (AP's own client appends to the URL as given).
                if (settings.Enabled) http.BaseAddress = new Uri(settings.PlatformApiBaseUrl!.TrimEnd('/') + "/");
                // The resilience pipeline bounds each call, retries included.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RedactLoggedHeaders(_ => true);
        platformApi.AddResilienceHandler("platform-api", (pipeline, context) =>
            {
                var settings = context.ServiceProvider.GetRequiredService<IOptions<ReconciliationOptions>>().Value;
                pipeline.AddTimeout(settings.RequestTimeout);
                // Connection failures, timeouts, 408, 429 and 5xx, honouring Retry-After; a 4xx is AP's answer, not a fault.
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromSeconds(1),
                });
            });
        // Inside the retries: every attempt gets a fresh token.
        platformApi.AddHttpMessageHandler<PlatformApiAuthHandler>();
        services.AddTransient<RestPlatformApi>();
        services.AddTransient<RpcPlatformApi>();
        services.AddTransient<IPlatformApi>(provider =>
            provider.GetRequiredService<IOptions<ReconciliationOptions>>().Value.ParsedProtocol == PlatformApiProtocol.Rpc
                ? provider.GetRequiredService<RpcPlatformApi>()
                : provider.GetRequiredService<RestPlatformApi>());
        services.AddTransient<Reconciler>();
        services.AddSingleton<ReconciliationStore>();
        services.AddInstruments<ReconciliationMetrics>();
        services.AddSingleton<ReconciliationRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<ReconciliationRunner>());
        return services;
    }

    public static IEndpointRouteBuilder MapReconciliation(this IEndpointRouteBuilder routes)
    {
        var reconciliation = routes.MapGroup("/reconciliation")
            .RequireQueryAuth(Scopes.Read)
            .WithTags("Reconciliation")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        reconciliation.MapGet("/runs", ListAsync)
            .WithName("ListReconciliationRuns").WithSummary("The latest reconciliation runs, newest first");
        reconciliation.MapGet("/runs/{id:long}", GetAsync)
            .WithName("GetReconciliationRun").WithSummary("One reconciliation run")
            .ProducesProblem(StatusCodes.Status404NotFound);
        reconciliation.MapPost("/run", StartAsync)
            .RequireQueryAuth(Scopes.Operate)
            .WithName("StartReconciliationRun").WithSummary("Start a reconciliation run now")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<Results<Ok<ReconciliationRunPage>, ValidationProblem>> ListAsync(
        [FromQuery(Name = "limit")] string? limit, HttpContext context, ReconciliationStore store,
        IOptions<ReconciliationOptions> options, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("limit");
        var take = (int)(parameters.Whole("limit", limit, 1, MaxRuns) ?? DefaultRuns);
        if (!parameters.IsValid) return parameters.Problem();
        return TypedResults.Ok(new ReconciliationRunPage(options.Value.Enabled, await store.RunsAsync(take, cancellationToken), take));
    }

    private static async Task<Results<Ok<ReconciliationRun>, ProblemHttpResult>> GetAsync(
        long id, ReconciliationStore store, CancellationToken cancellationToken) =>
        await store.RunAsync(id, cancellationToken) is { } run ? TypedResults.Ok(run) : HttpApi.NotFound("reconciliation run", id);

    private static async Task<Results<Accepted<ReconciliationRun>, ProblemHttpResult>> StartAsync(
        ReconciliationRunner runner, IOptions<ReconciliationOptions> options, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Reconciliation is not configured",
                detail: "Set Reconciliation:PlatformApiBaseUrl (env PLATFORM_API_BASE_URL) and Reconciliation:Auth:* to AP's platform server to enable it.");
        return await runner.TryStartAsync(ReconciliationRunner.Manual, cancellationToken) is { } run
            ? TypedResults.Accepted($"/reconciliation/runs/{run.Id}", run)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A reconciliation run is in progress",
                detail: "A reconciliation run is already in progress (on this or another instance); see GET /reconciliation/runs.");
    }
}
