using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Telemetry;

/// <summary>
/// What the receiver does on its own after answering is not traced as part of the request that set it off: the
/// feed's announcement (NOTIFY) after a request wrote its own event runs, and outlives it, in no request's trace.
/// </summary>
public sealed class TraceTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task The_feed_announcement_a_request_sets_off_is_not_part_of_its_trace()
    {
        // ASP.NET Core's request spans and Npgsql's command spans, as an OpenTelemetry exporter would see them (the
        // listener makes both sources record, OTLP configured or not). Other tests' requests may show up too.
        var requests = new ConcurrentDictionary<ActivityTraceId, bool>();
        var announcements = new ConcurrentBag<ActivityTraceId>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Microsoft.AspNetCore") requests[activity.TraceId] = true;
                else if (activity.TagObjects.Any(tag => tag.Value is string text && text.Contains("pg_notify", StringComparison.Ordinal)))
                    announcements.Add(activity.TraceId);
            },
        };
        ActivitySource.AddActivityListener(listener);

        var ap = app.CreateApClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
            await Task.Delay(50); // past the announcements' spacing: each event sets off one of its own
        }
        await Eventually.HoldsAsync(() => Task.FromResult(announcements.Count >= 5), "the announcements were not traced", TimeSpan.FromSeconds(10));

        Assert.DoesNotContain(announcements, requests.ContainsKey);
    }
}
