using System.Net;
using System.Text.Json.Nodes;
using Receiver.AnchorPlatform;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.OpenApi;

/// <summary>Every example in openapi/receiver.yaml is an event Receiver accepts, and together they cover every type and SEP.</summary>
public sealed class ContractExamplesTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static readonly IReadOnlyDictionary<string, JsonNode> Examples =
        OpenApiDocuments.ReadContract().EventExamples();

    public static TheoryData<string> Names => new(Examples.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Example_is_accepted_and_stored(string name)
    {
        var example = Examples[name];

        var response = await app.CreateApClient().PostEventAsync(example);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(1, await app.CountAsync("events", "id = $1", (string)example["id"]!));
    }

    [Fact]
    public void Examples_cover_every_event_type_and_sep()
    {
        var types = Examples.Values.Select(example => (string)example["type"]!).ToHashSet();
        var seps = Examples.Values.Select(example => (string?)example["payload"]?["transaction"]?["sep"]).OfType<string>().ToHashSet();

        Assert.Empty(EventTypes.All.Except(types));
        Assert.Empty(Seps.All.Except(seps));
    }

    [Fact]
    public void Examples_have_distinct_event_ids()
    {
        var ids = Examples.Values.Select(example => (string)example["id"]!).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
