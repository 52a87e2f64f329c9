using System.Net;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>
/// GET /transactions walked page by page while the transactions it lists change, with each filter: every row that
/// matched when the walk began comes exactly once, in order, as it stood then; nothing else comes.
/// </summary>
public sealed class TransactionWalkTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private const int Count = 30;
    private static readonly string[] Seps = ["6", "24", "31"];
    private static readonly string[] Statuses = ["pending_anchor", "completed", "error"];

    private sealed record Case(string Query, Func<int, bool> Matches);

    /// <summary>Each filter, on 30 transactions whose fields are spread by their number i.</summary>
    private static Case CaseOf(string filter, string tag) => filter switch
    {
        "none" => new("", _ => true),
        "sep" => new("&sep=24", i => Seps[i % 3] == "24"),
        "kind" => new("&kind=withdrawal", i => Seps[i % 3] == "6"),
        "status" => new("&status=completed", i => Statuses[i / 3 % 3] == "completed"),
        "statuses" => new("&status=completed&status=error", i => Statuses[i / 3 % 3] is "completed" or "error"),
        // An open status and a terminal one: their rows are in different parts of the indexes (TransactionParts).
        "open_and_terminal_statuses" => new("&status=pending_anchor&status=completed", i => Statuses[i / 3 % 3] is "pending_anchor" or "completed"),
        "asset" => new($"&asset={Uri.EscapeDataString(Asset(tag))}", i => i % 2 == 0),
        "account" => new($"&account={Account(tag)}", i => i % 4 == 0),
        "customer_id" => new($"&customer_id=customer-{tag}", i => i % 5 == 0),
        "status_and_sep" => new("&status=completed&sep=31", i => Statuses[i / 3 % 3] == "completed" && Seps[i % 3] == "31"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    private static string Asset(string tag) => $"iso4217:Q{tag[..2].ToUpperInvariant()}";
    private static string Account(string tag) => $"G{tag.ToUpperInvariant()}WALKER";

    private static JsonObject Transaction(int i, string tag, DateTimeOffset start)
    {
        var transaction = Seps[i % 3] switch
        {
            "6" => ApEvents.Sep6WithdrawalOnHold(),
            "31" => ApEvents.Sep31Created(),
            _ => ApEvents.Sep24DepositCreated(),
        };
        transaction["status"] = Statuses[i / 3 % 3];
        transaction["started_at"] = ApEvents.Timestamp(start);
        // Distinct minutes, in an order other than i's.
        transaction["updated_at"] = ApEvents.Timestamp(start.AddMinutes(1 + i * 7 % Count));
        transaction["amount_in"] = ApEvents.Amount("10", i % 2 == 0 ? Asset(tag) : "iso4217:USD");
        transaction["source_account"] = i % 4 == 0 ? Account(tag) : "GOTHERACCOUNT";
        transaction["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["id"] = i % 5 == 0 ? $"customer-{tag}" : $"other-{tag}" },
        };
        return transaction;
    }

    private async Task PostAsync(JsonObject transaction, string type = "transaction_status_changed")
    {
        var response = await app.CreateApClient().PostEventAsync(ApEvents.TransactionEvent(type, transaction));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("sep")]
    [InlineData("kind")]
    [InlineData("status")]
    [InlineData("statuses")]
    [InlineData("open_and_terminal_statuses")]
    [InlineData("asset")]
    [InlineData("account")]
    [InlineData("customer_id")]
    [InlineData("status_and_sep")]
    public async Task A_walk_while_transactions_change_returns_what_matched_at_its_start_exactly_once(string filter)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        // A day of its own, which updated_after/updated_before isolate from every other test's rows.
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 30_000));
        var window = $"?updated_after={Uri.EscapeDataString(ApEvents.Timestamp(start))}"
                     + $"&updated_before={Uri.EscapeDataString(ApEvents.Timestamp(start.AddDays(1)))}";
        var @case = CaseOf(filter, tag);
        var url = "/transactions" + window + @case.Query;

        var transactions = new List<JsonObject>();
        for (var i = 0; i < Count; i++)
        {
            var transaction = Transaction(i, tag, start);
            await PostAsync(transaction, "transaction_created");
            transactions.Add(transaction);
        }
        var query = app.CreateQueryClient();
        var atStart = await query.WalkAsync(url + "&limit=250");
        var expected = Enumerable.Range(0, Count).Where(@case.Matches)
            .OrderByDescending(i => DateTimeOffset.Parse((string)transactions[i]["updated_at"]!))
            .Select(i => (string)transactions[i]["id"]!).ToList();
        Assert.Equal(expected, atStart.Select(t => (string)t["id"]!));

        // Between pages: a transaction changes its status, asset, account and customer, and moves to the top of the
        // window, below an older row, or out of it; a new transaction that matches every filter arrives.
        var round = 0;
        async Task Meanwhile()
        {
            round++;
            var i = round * 7 % Count;
            var changed = transactions[i].DeepClone().AsObject();
            var other = Transaction(i + 1, tag, start);
            foreach (var member in new[] { "status", "amount_in", "source_account", "customers" }) changed[member] = other[member]!.DeepClone();
            changed["updated_at"] = ApEvents.Timestamp((round % 3) switch
            {
                0 => start.AddMinutes(100 + round),
                1 => start.AddDays(2).AddMinutes(round),
                _ => DateTimeOffset.Parse((string)transactions[i]["updated_at"]!).AddSeconds(1),
            });
            await PostAsync(changed);
            var arrived = Transaction(0, tag, start);
            arrived["status"] = "completed";
            arrived["updated_at"] = ApEvents.Timestamp(start.AddMinutes(200 + round));
            await PostAsync(arrived, "transaction_created");
        }

        var walked = await query.WalkAsync(url + "&limit=2", Meanwhile);

        Assert.True(round > 1);
        Assert.Equal(expected, walked.Select(t => (string)t["id"]!));
        Assert.All(walked.Zip(atStart), pair => Assert.True(JsonNode.DeepEquals(pair.Second, pair.First), $"{pair.First} is not {pair.Second}"));
        // A new walk sees the present.
        Assert.NotEqual(atStart.Select(t => t.ToJsonString()), (await query.WalkAsync(url + "&limit=250")).Select(t => t.ToJsonString()));
    }
}
