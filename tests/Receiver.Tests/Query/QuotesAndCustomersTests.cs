using System.Net;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

public sealed class QuotesAndCustomersTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private async Task<JsonObject> PostQuoteAsync(string sellAsset, string buyAsset, DateTimeOffset createdAt)
    {
        var body = ApEvents.QuoteCreated();
        var quote = body["payload"]!["quote"]!.AsObject();
        quote["sell_asset"] = sellAsset;
        quote["buy_asset"] = buyAsset;
        quote["created_at"] = ApEvents.Timestamp(createdAt);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(body)).StatusCode);
        return quote;
    }

    [Fact]
    public async Task A_quote_is_served_as_AP_sent_it()
    {
        var quote = await PostQuoteAsync("iso4217:USD", ApEvents.Usdc, DateTimeOffset.UtcNow);

        var served = await app.CreateQueryClient().GetJsonAsync($"/quotes/{quote["id"]}");

        Assert.True(JsonNode.DeepEquals(quote, served), $"sent {quote}\nserved {served}");
        await app.CreateQueryClient().GetJsonAsync("/quotes/no-such-quote", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Quotes_are_listed_newest_first_by_filters_and_pages()
    {
        var sell = $"iso4217:S{Guid.NewGuid():N}"[..20];
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var usdc = await PostQuoteAsync(sell, ApEvents.Usdc, start.AddMinutes(1));
        var eurc = await PostQuoteAsync(sell, "stellar:EURC:GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2", start.AddMinutes(2));
        var later = await PostQuoteAsync(sell, ApEvents.Usdc, start.AddMinutes(3));
        var query = app.CreateQueryClient();
        var sellFilter = $"sell_asset={Uri.EscapeDataString(sell)}";

        Assert.Equal([later["id"]!.ToString(), eurc["id"]!.ToString(), usdc["id"]!.ToString()],
            (await query.WalkAsync($"/quotes?{sellFilter}&limit=2")).Select(q => (string)q["id"]!));
        Assert.Equal([later["id"]!.ToString(), usdc["id"]!.ToString()],
            (await query.WalkAsync($"/quotes?{sellFilter}&buy_asset={Uri.EscapeDataString(ApEvents.Usdc)}")).Select(q => (string)q["id"]!));
        Assert.Equal([later["id"]!.ToString(), eurc["id"]!.ToString()],
            (await query.WalkAsync($"/quotes?{sellFilter}&created_after={Uri.EscapeDataString(ApEvents.Timestamp(start.AddMinutes(1)))}")).Select(q => (string)q["id"]!));
        var problem = await query.GetJsonAsync("/quotes?created_after=soon&limit=1000", HttpStatusCode.BadRequest);
        Assert.Equal(["created_after", "limit"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task A_customer_is_known_from_its_updates_and_from_the_transactions_naming_it()
    {
        var customer = $"customer-{Guid.NewGuid():N}";
        var update = ApEvents.CustomerUpdated().Set("payload/customer/id", $"\"{customer}\"");
        var ap = app.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(update)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(update.DeepClone().AsObject().Set("id", $"\"{Guid.NewGuid()}\""))).StatusCode);
        var transaction = ApEvents.Sep31Created();
        var receiver = $"receiver-{Guid.NewGuid():N}";
        transaction["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["id"] = customer },
            ["receiver"] = new JsonObject { ["id"] = receiver },
        };
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
        var query = app.CreateQueryClient();

        var known = await query.GetJsonAsync($"/customers/{customer}");
        Assert.Equal(customer, (string?)known["id"]);
        Assert.Equal(2, (int)known["update_count"]!);
        Assert.NotNull((string?)known["last_updated_at"]);
        Assert.EndsWith("Z", (string?)known["first_seen_at"]);
        Assert.Equal([(string)transaction["id"]!], known["transaction_ids"]!.AsArray().Select(t => (string)t!));

        var named = await query.GetJsonAsync($"/customers/{receiver}");
        Assert.Equal(0, (int)named["update_count"]!);
        Assert.Null(named["last_updated_at"]);
        Assert.Equal([(string)transaction["id"]!], named["transaction_ids"]!.AsArray().Select(t => (string)t!));

        await query.GetJsonAsync("/customers/no-such-customer", HttpStatusCode.NotFound);
    }

    /// <summary>A busy customer names thousands of transactions: their ids come a page at a time, each exactly once.</summary>
    [Fact]
    public async Task A_customers_transactions_come_a_page_at_a_time_oldest_first_each_once()
    {
        var customer = $"busy-{Guid.NewGuid():N}";
        var ap = app.CreateApClient();
        var started = new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var expected = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var transaction = ApEvents.Sep31Created();
            // Two share a started_at: the id breaks the tie, so the order is total.
            transaction["started_at"] = ApEvents.Timestamp(started.AddMinutes(i == 4 ? 3 : i));
            transaction["customers"] = new JsonObject { ["sender"] = new JsonObject { ["id"] = customer } };
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
            expected.Add((string)transaction["id"]!);
        }
        expected = [.. expected.Index().OrderBy(t => t.Index == 4 ? 3 : t.Index).ThenBy(t => t.Item, StringComparer.Ordinal).Select(t => t.Item)];
        var query = app.CreateQueryClient();

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await query.GetJsonAsync($"/customers/{customer}?limit=3" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            Assert.Equal(7, (long)page["transaction_count"]!);
            Assert.Equal(3, (int)page["limit"]!);
            var ids = page["transaction_ids"]!.AsArray().Select(t => (string)t!).ToList();
            Assert.InRange(ids.Count, 1, 3);
            seen.AddRange(ids);
            cursor = (string?)page["next_cursor"];
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen);

        // Without parameters: the first page of the default size, and no cursor since all fit.
        var whole = await query.GetJsonAsync($"/customers/{customer}");
        Assert.Equal(expected, whole["transaction_ids"]!.AsArray().Select(t => (string)t!));
        Assert.Null(whole["next_cursor"]);

        // A cursor belongs to its customer; a bad limit is a 400 naming it.
        var first = await query.GetJsonAsync($"/customers/{customer}?limit=3");
        var foreign = await query.GetJsonAsync($"/customers/someone-else?cursor={Uri.EscapeDataString((string)first["next_cursor"]!)}", HttpStatusCode.BadRequest);
        Assert.NotNull(foreign["errors"]!["cursor"]);
        var badLimit = await query.GetJsonAsync($"/customers/{customer}?limit=0", HttpStatusCode.BadRequest);
        Assert.NotNull(badLimit["errors"]!["limit"]);
    }
}
