using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Receiver.Auth;
using Receiver.Configuration;
using Receiver.Ingest.Validation;
using Receiver.Http;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Ingest;

public static partial class IngestEndpoints
{
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddValidatedOptions<IngestOptions, IngestOptionsValidator>(IngestOptions.Section);
        services.AddSingleton<EventValidator>();
        services.AddSingleton<EventIngestor>();
        services.AddSingleton<EventWriter>();
        services.AddInstruments<IngestMetrics>();
        services.AddHostedService(provider => provider.GetRequiredService<EventWriter>());
        return services;
    }

    /// <summary>
    /// <c>POST /event</c> at the root, where AP 2.x posts, and <c>POST {path}/event</c> under the path of
    /// <c>callback_api.base_url</c>, where AP 3.0 and later post (<see cref="EventPaths"/>); the same endpoint at each.
    /// Never redirects: AP's HTTP client turns a 301/302 into a GET without the body.
    /// </summary>
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder routes)
    {
        // Read from configuration, not the validated options: a bad value is reported with the others at start.
        var paths = EventPaths.Resolve(routes.ServiceProvider.GetRequiredService<IConfiguration>(), out _);
        foreach (var path in paths)
        {
            var endpoint = routes.MapPost(path, ReceiveAsync)
                .RequireCallbackAuth()
                .WithName(path == EventPaths.Root ? "PostEvent" : "PostEventUnderBasePath")
                .WithTags("Events")
                .WithSummary("Receive an Anchor Platform event")
                .WithMetadata(new ReadsJsonBody())
                .ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status408RequestTimeout)
                .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
                .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
            // The contract documents the operation once, at /event; the other path is the same operation.
            if (path != EventPaths.Root) endpoint.ExcludeFromDescription();
        }

        var logger = routes.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IngestEndpoints));
        routes.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted
            .Register(() => LogEventPaths(logger, string.Join(" and ", paths.Select(p => "POST " + p))));
        return routes;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Receiving Anchor Platform events at {EventPaths}.")]
    private static partial void LogEventPaths(ILogger logger, string eventPaths);

    private static async Task<Results<Ok, ValidationProblem, ProblemHttpResult>> ReceiveAsync(
        HttpContext context, EventIngestor ingestor, IOptions<IngestOptions> options, IOptions<DatabaseOptions> database, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadJsonAsync(context.Request, (int)options.Value.MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;

        IngestOutcome outcome;
        try
        {
            outcome = await ingestor.IngestAsync(body!, cancellationToken);
        }
        catch (DatabaseUnavailableException e)
        {
            var stored = e.EventMayBeStored
                ? "The event may still be stored; send it again: once it is stored, it is answered 200."
                : "Nothing was stored; send the event again.";
            return HttpApi.DatabaseUnavailable(context, database.Value, $"{e.Message} {stored}");
        }

        if (outcome.Result != IngestResult.Rejected) return TypedResults.Ok();
        return TypedResults.ValidationProblem(outcome.Errors, title: "Invalid event", detail: Summary(outcome.Errors));
    }

    /// <summary>One line naming every offending path: RFC 9457's <c>detail</c>.</summary>
    private static string Summary(IReadOnlyDictionary<string, string[]> errors)
    {
        if (errors.TryGetValue(IncomingEvent.WholeBody, out var whole)) return $"The event is invalid: {whole[0].TrimEnd('.')}.";
        var noun = errors.Count == 1 ? "field" : "fields";
        return $"The event is invalid: {errors.Count} {noun} failed validation ({string.Join(", ", errors.Keys)}).";
    }
}
