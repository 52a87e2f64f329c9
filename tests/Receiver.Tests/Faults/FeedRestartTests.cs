using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Faults;

/// <summary>Feed consumers connected through a PostgreSQL restart resume without missing an event.</summary>
public sealed class FeedRestartTests
{
    [Fact]
    public async Task Stream_and_poll_consumers_resume_after_a_PostgreSQL_restart_without_a_missed_event()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["Database:Timeout"] = "00:00:02",
            ["Database:ReadTimeout"] = "00:00:02",
            ["Feed:RetryMilliseconds"] = "200",
        }, cluster.ConnectionString("receiver_feed_restart"));
        await app.InitializeAsync();
        var ap = app.CreateApClient();
        var before = ApEvents.QuoteCreated();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(before)).StatusCode);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var streamed = new List<string>();
        var polled = new List<string>();
        var streamer = FollowStreamAsync(app.CreateQueryClient(), streamed, stop.Token);
        var poller = FollowPollAsync(app.CreateQueryClient(), polled, stop.Token);
        await Eventually.HoldsAsync(() => streamed.Contains((string)before["id"]!) && polled.Contains((string)before["id"]!), "the consumers did not catch up");

        await cluster.StopAsync("fast");
        await Task.Delay(1500);
        await cluster.StartAsync();
        var after = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var body = ApEvents.CustomerUpdated();
            // The first posts may meet dead pooled connections or a listener still reconnecting: AP would retry a 503.
            while ((await ap.PostEventAsync(body)).StatusCode != HttpStatusCode.OK) await Task.Delay(200);
            after.Add((string)body["id"]!);
        }

        await Eventually.HoldsAsync(() => after.All(streamed.Contains) && after.All(polled.Contains), "the consumers did not catch up");
        await stop.CancelAsync();
        await Task.WhenAll(streamer, poller);
        Assert.Equal(streamed.Count, streamed.Distinct().Count());
        Assert.Equal(polled.Count, polled.Distinct().Count());
        Assert.Equal([(string)before["id"]!, .. after], streamed);
        Assert.Equal([(string)before["id"]!, .. after], polled);
    }

    /// <summary>An EventSource: reads frames, and when the stream ends or fails, reconnects with Last-Event-ID.</summary>
    internal static async Task FollowStreamAsync(HttpClient client, List<string> seen, CancellationToken stop)
    {
        string? lastEventId = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/events/stream?last_sequence_number=0");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                if (lastEventId is not null) request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                if (response.StatusCode != HttpStatusCode.OK) { await Task.Delay(200, stop); continue; }
                using var reader = new SseReader(await response.Content.ReadAsStreamAsync(stop));
                // Heartbeats keep a stream alive forever: stopping closes it.
                await using var closeOnStop = stop.Register(response.Dispose);
                while (await reader.NextAsync(TimeSpan.FromSeconds(60)) is { } message)
                {
                    if (message.Data is null) continue;
                    lock (seen) seen.AddRange(JsonNode.Parse(message.Data)!.AsArray().Select(e => (string)e!["id"]!));
                    lastEventId = message.Id;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                // The stream broke or timed out: reconnect, as EventSource does.
            }
            await Task.Delay(200, CancellationToken.None);
        }
    }

    /// <summary>A long-poll consumer: keeps its last sequence number and asks again; a 503 means ask again later.</summary>
    private static async Task FollowPollAsync(HttpClient client, List<string> seen, CancellationToken stop)
    {
        long last = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"/events?last_sequence_number={last}&wait=5", stop);
                if (response.StatusCode != HttpStatusCode.OK) { await Task.Delay(200, stop); continue; }
                var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(stop))!;
                lock (seen) seen.AddRange(page["data"]!.AsArray().Select(e => (string)e!["id"]!));
                last = (long)page["last_sequence_number"]!;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
