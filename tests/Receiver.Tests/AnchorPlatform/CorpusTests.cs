using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>
/// Each AP line's whole corpus (<see cref="ApCorpus"/>), delivered as that line delivers it (<see cref="ApDelivery"/>)
/// to a Receiver configured from the same env file: every event answered 200 and stored byte for byte, each subject's
/// state the last snapshot, each timeline every event, and the feed every event in delivery order.
/// </summary>
public sealed class CorpusTests
{
    /// <summary>Each line with each auth type and base URLs with and without a path, as operators configure them.</summary>
    private static readonly Dictionary<string, ApDelivery> Deliveries = new ApDelivery[]
    {
        new(ApLine.V2, "jwt", "http://receiver:8081/anchor/callbacks"),
        new(ApLine.V2, "api_key", "http://receiver:8081", ApiKeyHeader: "X-Anchor-Key"),
        new(ApLine.V3, "jwt", "http://receiver:8081/callbacks"),
        new(ApLine.V3, "api_key", "http://receiver:8081/callbacks/", ApiKeyHeader: "X-Anchor-Key"),
        new(ApLine.V4, "jwt", "https://receiver.internal/anchor/events?tenant=eu", JwtHeader: "X-Platform-Token"),
        new(ApLine.V4, "api_key", "http://receiver:8081/"),
        new(ApLine.V4, "none", "http://receiver:8081/hooks"),
    }.ToDictionary(delivery => delivery.ToString());

    public static TheoryData<string> DeliveryNames => new(Deliveries.Keys);

    [Theory]
    [MemberData(nameof(DeliveryNames))]
    public async Task Every_event_of_the_line_is_taken_stored_and_served_as_sent(string deliveryName)
    {
        var delivery = Deliveries[deliveryName];
        await using var app = ReceiverApp.With(delivery.ReceiverSettings);
        var ap = app.CreateClient();
        var flows = ApCorpus.For(delivery.Line);
        var start = await app.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events");

        // AP's one consumer thread posts one event at a time; the flows' events interleave as several subjects move at once.
        var posted = Interleave(flows);
        var refused = new List<(CorpusEvent Event, string Reason)>();
        foreach (var e in posted)
        {
            var response = await ap.SendAsync(delivery.Request(e.Body));
            if (response.StatusCode != HttpStatusCode.OK) refused.Add((e, await ReasonAsync(response)));
        }
        Assert.True(refused.Count == 0, $"{refused.Count} of {posted.Count} events refused:\n" + string.Join("\n",
            refused.GroupBy(r => r.Reason).Select(g => $"{g.Key}\n  {string.Join("; ", g.Select(r => $"{r.Event.Flow} {r.Event.Type}").Distinct())}")));

        foreach (var e in posted)
        {
            var stored = await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", e.Id);
            Assert.True(Encoding.UTF8.GetBytes(e.Body).SequenceEqual(stored ?? []), $"{e.Flow} {e.Type}: not stored byte for byte");
        }

        var query = app.CreateQueryClient();
        foreach (var flow in flows) await AssertServedAsync(query, flow);
        var end = await AssertFeedAsync(query, start, posted);

        // A restarted AP sends its last polled batch again (KafkaSession@2.12.0/@4.3.0 commits offsets per batch).
        foreach (var e in posted)
            Assert.Equal(HttpStatusCode.OK, (await ap.SendAsync(delivery.Request(e.Resent()))).StatusCode);
        Assert.Equal(posted.Count, await app.CountAsync("events"));
        Assert.Empty((await query.GetJsonAsync($"/events?last_sequence_number={end}&wait=0"))["data"]!.AsArray());
        foreach (var flow in flows) await AssertServedAsync(query, flow);
    }

    /// <summary>The status and what the problem names (its errors, else its title), without what differs per request.</summary>
    private static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return $"{(int)response.StatusCode} {problem?["errors"]?.ToJsonString(ApLine.Gson) ?? (string?)problem?["title"]}";
    }

    /// <summary>The first event of every flow, then the second of every flow that has one, and so on.</summary>
    private static List<CorpusEvent> Interleave(IReadOnlyList<CorpusFlow> flows) =>
        Enumerable.Range(0, flows.Max(flow => flow.Events.Count))
            .SelectMany(step => flows.Where(flow => step < flow.Events.Count).Select(flow => flow.Events[step]))
            .ToList();

    private static async Task AssertServedAsync(HttpClient query, CorpusFlow flow)
    {
        switch (flow.Subject)
        {
            case "transaction":
                var state = await query.GetJsonAsync($"/transactions/{flow.SubjectId}");
                Assert.True(JsonNode.DeepEquals(flow.Last, state), $"{flow}: sent last {flow.Last?.ToJsonString(ApLine.Gson)}\nserved {state.ToJsonString(ApLine.Gson)}");
                var timeline = (await query.GetJsonAsync($"/transactions/{flow.SubjectId}/events"))["data"]!.AsArray();
                Assert.True(flow.Events.Select(e => e.Id).SequenceEqual(timeline.Select(entry => (string)entry!["id"]!)),
                    $"{flow}: timeline {string.Join(",", timeline.Select(entry => entry!["status"]))}");
                break;
            case "quote":
                var quote = await query.GetJsonAsync($"/quotes/{flow.SubjectId}");
                Assert.True(JsonNode.DeepEquals(flow.Last, quote), $"{flow}: sent {flow.Last?.ToJsonString(ApLine.Gson)}\nserved {quote.ToJsonString(ApLine.Gson)}");
                break;
            case "customer":
                var customer = await query.GetJsonAsync($"/customers/{flow.SubjectId}");
                Assert.Equal(flow.Events.Count, (int)customer["update_count"]!);
                break;
        }
    }

    /// <summary>
    /// The feed after <paramref name="start"/>: every posted event once, in the order posted, payload as sent.
    /// Returns the last sequence number read.
    /// </summary>
    private static async Task<long> AssertFeedAsync(HttpClient query, long start, List<CorpusEvent> posted)
    {
        var fed = new List<JsonNode>();
        var after = start;
        while (fed.Count < posted.Count)
        {
            var page = await query.GetJsonAsync($"/events?last_sequence_number={after}&limit=100&wait=5");
            var data = page["data"]!.AsArray();
            Assert.True(data.Count > 0, $"the feed stopped after {fed.Count} of {posted.Count} events");
            fed.AddRange(data.Select(e => e!));
            after = (long)page["last_sequence_number"]!;
        }
        Assert.Equal(posted.Select(e => e.Id), fed.Select(e => (string)e["id"]!));
        for (var i = 0; i < posted.Count; i++)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(posted[i].Body)!["payload"], fed[i]["payload"]), $"{posted[i].Flow} {posted[i].Type}: feed payload differs");
        return after;
    }
}
