using System.Net;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>GET /transactions: each filter, cursor pagination that never repeats or skips a row, and 400s naming the parameter.</summary>
public sealed class TransactionListTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A transaction of the given SEP, updated <paramref name="minute"/> minutes after <see cref="Start"/>.</summary>
    private static JsonObject Transaction(string sep, string status, int minute, string? asset = null, string? customer = null, string? account = null)
    {
        var transaction = sep switch
        {
            "6" => ApEvents.Sep6WithdrawalOnHold(),
            "31" => ApEvents.Sep31Created(),
            _ => ApEvents.Sep24DepositCreated(),
        };
        transaction["status"] = status;
        transaction["started_at"] = ApEvents.Timestamp(Start);
        transaction["updated_at"] = ApEvents.Timestamp(Start.AddMinutes(minute));
        if (asset is not null) transaction["amount_in"] = ApEvents.Amount("10", asset);
        if (customer is not null) transaction["customers"] = new JsonObject { ["sender"] = new JsonObject { ["id"] = customer } };
        if (account is not null) transaction["source_account"] = account;
        return transaction;
    }

    private async Task<string> PostAsync(JsonObject transaction, string type = "transaction_status_changed")
    {
        var response = await app.CreateApClient().PostEventAsync(ApEvents.TransactionEvent(type, transaction));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)transaction["id"]!;
    }

    private async Task<string[]> IdsAsync(string query) =>
        [.. (await app.CreateQueryClient().WalkAsync("/transactions" + query)).Select(t => (string)t["id"]!)];

    [Fact]
    public async Task Each_filter_selects_exactly_its_transactions()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var customer = $"customer-{tag}";
        var account = $"G{tag.ToUpperInvariant()}ACCOUNT";
        var asset = $"iso4217:X{tag[..2].ToUpperInvariant()}";
        var sep6 = await PostAsync(Transaction("6", "on_hold", 1, customer: customer));
        var sep24 = await PostAsync(Transaction("24", "pending_anchor", 2, asset: asset, account: account));
        var sep31 = await PostAsync(Transaction("31", "pending_receiver", 3, customer: customer));
        var sep24Done = await PostAsync(Transaction("24", "completed", 4, asset: asset));

        Assert.Equal([sep6], await IdsAsync($"?customer_id={customer}&sep=6"));
        Assert.Equal([sep31, sep6], await IdsAsync($"?customer_id={customer}"));
        Assert.Equal([sep24], await IdsAsync($"?account={account}"));
        Assert.Equal([sep24Done, sep24], await IdsAsync($"?asset={Uri.EscapeDataString(asset)}"));
        Assert.Equal([sep24Done], await IdsAsync($"?asset={Uri.EscapeDataString(asset)}&status=completed"));
        Assert.Equal([sep24Done, sep24], await IdsAsync($"?asset={Uri.EscapeDataString(asset)}&status=completed&status=pending_anchor"));
        Assert.Equal([sep24Done, sep24], await IdsAsync($"?asset={Uri.EscapeDataString(asset)}&kind=deposit&sep=24"));
        Assert.Empty(await IdsAsync($"?customer_id={customer}&kind=deposit"));
        Assert.Equal([sep31], await IdsAsync($"?customer_id={customer}&kind=receive"));

        // updated_after and updated_before are exclusive bounds on updated_at.
        var after = Uri.EscapeDataString(ApEvents.Timestamp(Start.AddMinutes(1)));
        var before = Uri.EscapeDataString(ApEvents.Timestamp(Start.AddMinutes(4)));
        Assert.Equal([sep31], await IdsAsync($"?customer_id={customer}&updated_after={after}&updated_before={before}"));
        Assert.Equal([sep24], await IdsAsync($"?asset={Uri.EscapeDataString(asset)}&updated_before={before}"));
    }

    [Fact]
    public async Task The_newest_updated_at_comes_first_and_the_page_says_its_limit()
    {
        var customer = $"customer-{Guid.NewGuid():N}";
        var ids = new List<string>();
        foreach (var minute in new[] { 5, 1, 9, 3 }) ids.Add(await PostAsync(Transaction("24", "incomplete", minute, customer: customer)));

        var page = await app.CreateQueryClient().GetJsonAsync($"/transactions?customer_id={customer}&limit=3");

        Assert.Equal(3, (int)page["limit"]!);
        Assert.Equal([ids[2], ids[0], ids[3]], page["data"]!.AsArray().Select(t => (string)t!["id"]!));
        Assert.NotNull((string?)page["next_cursor"]);
        var rest = await app.CreateQueryClient().GetJsonAsync($"/transactions?customer_id={customer}&limit=3&cursor={page["next_cursor"]}");
        Assert.Equal([ids[1]], rest["data"]!.AsArray().Select(t => (string)t!["id"]!));
        Assert.Null((string?)rest["next_cursor"]);
        Assert.Equal(100, (int)(await app.CreateQueryClient().GetJsonAsync($"/transactions?customer_id={customer}"))["limit"]!);
    }

    [Fact]
    public async Task A_walk_returns_every_row_exactly_once_while_events_keep_arriving()
    {
        var customer = $"customer-{Guid.NewGuid():N}";
        var existing = new List<JsonObject>();
        for (var i = 0; i < 40; i++)
        {
            var transaction = Transaction("24", "pending_anchor", i % 13, customer: customer);
            await PostAsync(transaction);
            existing.Add(transaction);
        }

        // Between pages: updates that move rows to the top and to the bottom, redeliveries, and new transactions.
        var round = 0;
        async Task Meanwhile()
        {
            round++;
            var moved = existing[(round * 7) % existing.Count].DeepClone().AsObject();
            moved["status"] = "completed";
            moved["updated_at"] = ApEvents.Timestamp(Start.AddMinutes(100 + round));
            await PostAsync(moved);
            await PostAsync(Transaction("24", "incomplete", round % 3, customer: customer), "transaction_created");
            await PostAsync(Transaction("24", "incomplete", 200 + round, customer: customer), "transaction_created");
        }

        var walked = await app.CreateQueryClient().WalkAsync($"/transactions?customer_id={customer}&limit=6", Meanwhile);

        var walkedIds = walked.Select(t => (string)t["id"]!).ToList();
        Assert.Equal(walkedIds.Count, walkedIds.Distinct().Count());
        Assert.Equal(existing.Select(t => (string)t["id"]!).Order(), walkedIds.Order());
        // As of the walk's start: a transaction updated meanwhile is shown as it stood then.
        Assert.All(walked, t => Assert.Equal("pending_anchor", (string?)t["status"]));
        var updatedAts = walked.Select(t => DateTimeOffset.Parse((string)t["updated_at"]!)).ToList();
        Assert.Equal(updatedAts.OrderDescending(), updatedAts);

        // A new walk sees the present.
        Assert.Equal(existing.Count + 2 * round, (await app.CreateQueryClient().WalkAsync($"/transactions?customer_id={customer}&limit=50")).Count);
    }

    [Theory]
    [InlineData("status=pending", "status")]
    [InlineData("sep=12", "sep")]
    [InlineData("kind=send", "kind")]
    [InlineData("updated_after=yesterday", "updated_after")]
    [InlineData("updated_before=2024-13-01T00:00:00Z", "updated_before")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=251", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("statuses=completed", "statuses")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string parameter)
    {
        var response = await app.CreateQueryClient().GetAsync($"/transactions?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal([parameter], problem["errors"]!.AsObject().Select(e => e.Key));
        Assert.Contains(parameter, (string?)problem["detail"]);
    }

    [Fact]
    public async Task Every_bad_parameter_is_named_at_once()
    {
        var problem = await app.CreateQueryClient().GetJsonAsync("/transactions?sep=7&limit=-1&status=done", HttpStatusCode.BadRequest);

        Assert.Equal(["limit", "sep", "status"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task A_forged_or_foreign_cursor_is_refused()
    {
        var customer = $"customer-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++) await PostAsync(Transaction("24", "incomplete", i, customer: customer));
        var query = app.CreateQueryClient();
        var cursor = (string)(await query.GetJsonAsync($"/transactions?customer_id={customer}&limit=1"))["next_cursor"]!;

        // Any change to the cursor breaks its signature; a cursor is tied to its query's filters.
        var forged = (cursor[0] == 'A' ? "B" : "A") + cursor[1..];
        await query.GetJsonAsync($"/transactions?customer_id={customer}&limit=1&cursor={forged}", HttpStatusCode.BadRequest);
        await query.GetJsonAsync($"/transactions?customer_id={customer}&status=completed&cursor={cursor}", HttpStatusCode.BadRequest);
        // The limit may change between pages.
        await query.GetJsonAsync($"/transactions?customer_id={customer}&limit=2&cursor={cursor}");
    }
}
