using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Receiver.Auth;
using Receiver.AnchorPlatform;
using Receiver.Configuration;
using Receiver.Http;
using Receiver.PersonalData;
using Receiver.Telemetry;

namespace Receiver.Feed;

/// <summary>One page of the feed: the events after <c>last_sequence_number</c>, in increasing order.</summary>
public sealed record FeedPage(IReadOnlyList<FeedEvent> Data, long LastSequenceNumber, int Limit);

/// <summary>
/// Every stored event re-published as one ordered feed (after Figure Pay's events API): long-poll
/// <c>GET /events</c>, Server-Sent Events <c>GET /events/stream</c>, and single events by id or sequence number.
/// </summary>
public static class FeedEndpoints
{
    public const int DefaultWaitSeconds = 30;
    public const int MaxWaitSeconds = 60;

    public static IServiceCollection AddFeed(this IServiceCollection services)
    {
        services.AddValidatedOptions<FeedOptions, FeedOptionsValidator>(FeedOptions.Section);
        services.AddSingleton<FeedStore>();
        services.AddSingleton<FeedNotifier>();
        services.AddSingleton<IFeedSignal>(provider => provider.GetRequiredService<FeedNotifier>());
        services.AddHostedService(provider => provider.GetRequiredService<FeedNotifier>());
        services.AddSingleton<FeedStreams>();
        services.AddInstruments<FeedMetrics>();
        return services;
    }

    public static IEndpointRouteBuilder MapFeed(this IEndpointRouteBuilder routes)
    {
        var feed = routes.MapGroup("")
            .RequireQueryAuth(Scopes.Read)
            .WithTags("Feed")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        feed.MapGet("/events", PollAsync)
            .WithName("PollEvents").WithSummary("Events after a sequence number; waits for the next one when there are none")
            .ProducesProblem(StatusCodes.Status410Gone);
        feed.MapGet("/events/stream", StreamAsync)
            .WithName("StreamEvents").WithSummary("The feed as Server-Sent Events, resumable with Last-Event-ID")
            .Produces<string>(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status410Gone);
        feed.MapGet("/event/{id}", ByIdAsync)
            .WithName("GetEvent").WithSummary("One stored event by its id")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);
        feed.MapGet("/event/sequence/{sequence_number:long}", BySequenceAsync)
            .WithName("GetEventBySequence").WithSummary("One stored event by its sequence number")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);
        return routes;
    }

    internal sealed class FeedRequest
    {
        [FromQuery(Name = "last_sequence_number")] public string? LastSequenceNumber { get; init; }
        [FromQuery(Name = "limit")] public string? Limit { get; init; }
        [FromQuery(Name = "type")] public string[]? Type { get; init; }
        [FromQuery(Name = "transaction_id")] public string? TransactionId { get; init; }
        [FromQuery(Name = "anchor")] public string? Anchor { get; init; }
    }

    private static async Task<Results<Ok<FeedPage>, ValidationProblem, ProblemHttpResult>> PollAsync(
        [AsParameters] FeedRequest request, [FromQuery(Name = "wait")] string? wait, HttpContext context,
        FeedStore store, FeedNotifier notifier, IHostApplicationLifetime lifetime, FeedMetrics metrics,
        TimeProvider clock, PersonalDataView view, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("last_sequence_number", "limit", "type", "transaction_id", "anchor", "wait");
        var (after, filter, limit) = Read(parameters, request, request.LastSequenceNumber);
        var waitFor = TimeSpan.FromSeconds(parameters.Whole("wait", wait, 0, MaxWaitSeconds) ?? DefaultWaitSeconds);
        if (!parameters.IsValid) return parameters.Problem();

        using var consumer = metrics.Connected(FeedConsumerKind.Poll);
        var started = clock.GetTimestamp();
        using var waitEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var seen = notifier.Readable;
        var events = await store.AfterAsync(after, filter, limit, seen, view, cancellationToken);
        // Asked once: whatever is stored while the request waits is numbered above anything retention dropped.
        if (await store.FirstRetainedWhenBehindAsync(after, cancellationToken) is { } firstRetained) return Gone(after, firstRetained);
        while (true)
        {
            var left = waitFor - clock.GetElapsedTime(started);
            if (events.Count > 0 || left <= TimeSpan.Zero)
            {
                metrics.Delivered(FeedConsumerKind.Poll, events);
                return TypedResults.Ok(new FeedPage(events, events.Count > 0 ? events[^1].SequenceNumber : after, limit));
            }
            try
            {
                await notifier.WaitBeyondAsync(seen, left, waitEnds.Token);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Shutting down: answer now with what there is rather than hold the shutdown for the rest of `wait`.
                waitFor = TimeSpan.Zero;
            }
            seen = notifier.Readable;
            events = await store.AfterAsync(after, filter, limit, seen, view, cancellationToken);
        }
    }

    private static async Task<Results<EmptyHttpResult, ValidationProblem>> StreamAsync(
        [AsParameters] FeedRequest request, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, HttpContext context,
        FeedStreams streams, PersonalDataView view, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(context.Request);
        parameters.AllowOnly("last_sequence_number", "limit", "type", "transaction_id", "anchor");
        // A reconnecting EventSource sends the id of the last frame it got; that wins over the URL it reuses.
        var (after, filter, limit) = Read(parameters, request,
            string.IsNullOrEmpty(lastEventId) ? request.LastSequenceNumber : lastEventId,
            string.IsNullOrEmpty(lastEventId) ? "last_sequence_number" : "Last-Event-ID");
        if (!parameters.IsValid) return parameters.Problem();

        await streams.RunAsync(context, after, filter, limit, view, cancellationToken);
        return TypedResults.Empty;
    }

    private static (long After, FeedFilter Filter, int Limit) Read(
        QueryParameters parameters, FeedRequest request, string? after, string afterName = "last_sequence_number") =>
        (parameters.Whole(afterName, after, 0, long.MaxValue) ?? 0,
         new FeedFilter(
             parameters.AllOf("type", request.Type, EventTypes.All), parameters.Text("transaction_id", request.TransactionId),
             parameters.Text("anchor", request.Anchor)),
         parameters.Limit(request.Limit));

    private static async Task<Results<Ok<FeedEvent>, ProblemHttpResult>> ByIdAsync(
        string id, FeedStore store, PersonalDataView view, CancellationToken cancellationToken) =>
        await store.ByIdAsync(id, view, cancellationToken) is { } found ? TypedResults.Ok(found)
        : await store.ExpiredAsync(id, cancellationToken) ? Expired($"The event with id '{id}' was stored, and has expired (Retention:Events).")
        : HttpApi.NotFound("event", id);

    private static async Task<Results<Ok<FeedEvent>, ProblemHttpResult>> BySequenceAsync(
        [FromRoute(Name = "sequence_number")] long sequenceNumber, FeedStore store, FeedNotifier notifier, PersonalDataView view,
        CancellationToken cancellationToken) =>
        // A committed event is read where it shows: the feed may just have delivered it from the primary.
        await store.BySequenceAsync(sequenceNumber, notifier.IsCommitted(sequenceNumber) ? sequenceNumber : 0, view, cancellationToken) is { } found
            ? TypedResults.Ok(found)
        : await store.ExpiredAsync(sequenceNumber, cancellationToken)
            ? Expired($"Sequence number {sequenceNumber} lies among the expired events (Retention:Events): its event, if there was one, is no longer stored.")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No event with sequence number {sequenceNumber} is stored.");

    private static ProblemHttpResult Expired(string detail) => TypedResults.Problem(statusCode: StatusCodes.Status410Gone, detail: detail);

    /// <summary>
    /// The answer to a reader behind the retained events: some event numbered after <paramref name="after"/> is no
    /// longer stored, so "the events after it" cannot be served whole. It names the first number still stored; the
    /// reader decides whether to go on after <c>first_sequence_number - 1</c>, knowing what it missed.
    /// </summary>
    internal static ProblemHttpResult Gone(long after, long firstRetained) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status410Gone,
            detail: $"Events after {after} have expired (Retention:Events) and are no longer stored: the first still stored is {firstRetained}. " +
                    $"Resume with last_sequence_number={firstRetained - 1}, knowing that the events in between are lost.",
            extensions: new Dictionary<string, object?> { ["first_sequence_number"] = firstRetained });
}
