using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Feed;

/// <summary>
/// Feed:MaxPageBytes: long-poll pages and stream frames stop at the byte cap (or at <c>limit</c>), always carry at
/// least one event however large, and one after the other carry every event once, in order.
/// </summary>
public sealed class FeedPageCapTests
{
    private const int Cap = 64 * 1024;

    /// <summary>
    /// Event sizes in KiB, stored in this order: 3 events fill a page, one of 100 KiB comes alone, 60 + 4 fill one
    /// exactly, and so on.
    /// </summary>
    private static readonly int[] Sizes = [20, 20, 20, 20, 100, 5, 30, 30, 60, 4, 4];

    private static async Task<(ReceiverApp App, List<(string Id, int Size)> Stored)> StoreAsync()
    {
        var app = ReceiverApp.With(new Dictionary<string, string?> { ["Feed:MaxPageBytes"] = Cap.ToString() });
        await app.InitializeAsync();
        var ap = app.CreateApClient();
        var stored = new List<(string, int)>();
        foreach (var size in Sizes.Select(kib => kib * 1024))
        {
            var body = ApEvents.LargeTransactionEvent(size);
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(body)).StatusCode);
            stored.Add(((string)body["id"]!, size));
        }
        return (app, stored);
    }

    private static void AssertCapped(List<(string Id, int Size)> stored, List<List<string>> pages, int limit)
    {
        Assert.Equal(stored.Select(s => s.Id), pages.SelectMany(page => page));
        var sizes = stored.ToDictionary(s => s.Id, s => s.Size);
        var delivered = 0;
        foreach (var page in pages)
        {
            var bytes = page.Sum(id => sizes[id]);
            Assert.True(page.Count == 1 || bytes <= Cap, $"a page of {page.Count} events holds {bytes} bytes, over the cap of {Cap}");
            Assert.True(page.Count <= limit, $"a page of {page.Count} events, over the limit of {limit}");
            delivered += page.Count;
            if (delivered < stored.Count)
                Assert.True(page.Count == limit || bytes + stored[delivered].Size > Cap,
                    $"a page of {page.Count} events ({bytes} bytes) stopped before the next one ({stored[delivered].Size} bytes) would fill it");
        }
    }

    [Theory]
    [InlineData("Feed__MaxPageBytes", "1000", "Feed:MaxPageBytes must be between 1024 and 104857600; it is 1000.")]
    [InlineData("Feed__WriteTimeoutSeconds", "0", "Feed:WriteTimeoutSeconds must be between 1 and 3600; it is 0.")]
    public async Task A_page_cap_or_write_timeout_out_of_range_stops_the_app(string name, string value, string message) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=unused",
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            [name] = value,
        }, message);

    [Theory]
    [InlineData(250)]
    [InlineData(2)]
    public async Task Long_poll_pages_stop_at_the_byte_cap_or_the_limit_with_one_event_at_least_and_every_event_once(int limit)
    {
        var (app, stored) = await StoreAsync();
        await using (app)
        {
            var query = app.CreateQueryClient();
            var pages = new List<List<string>>();
            var after = 0L;
            while (true)
            {
                var page = await query.GetJsonAsync($"/events?last_sequence_number={after}&limit={limit}&wait=0");
                var ids = page["data"]!.AsArray().Select(e => (string)e!["id"]!).ToList();
                if (ids.Count == 0) break;
                pages.Add(ids);
                after = (long)page["last_sequence_number"]!;
            }
            AssertCapped(stored, pages, limit);
        }
    }

    [Fact]
    public async Task Stream_frames_stop_at_the_byte_cap_with_one_event_at_least_and_every_event_once()
    {
        var (app, stored) = await StoreAsync();
        await using (app)
        {
            var (response, reader) = await SseReader.OpenAsync(app.CreateQueryClient(), "/events/stream?last_sequence_number=0&limit=250");
            using (response)
            using (reader)
            {
                var frames = (await reader.EventsAsync(stored.Count))
                    .GroupBy(e => e.FrameId, e => (string)e.Event["id"]!)
                    .Select(frame => frame.ToList())
                    .ToList();
                AssertCapped(stored, frames, limit: 250);
            }
        }
    }
}
