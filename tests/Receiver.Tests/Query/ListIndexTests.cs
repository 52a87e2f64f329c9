using Npgsql;
using Receiver.Http;
using Receiver.Query;
using Receiver.Reconciliation;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>
/// The order and head_seq indexes of table transactions are partial, split by status into a terminal and an open part
/// (TransactionParts), and PostgreSQL uses a partial index only for a query whose conditions imply its predicate. Each statement that
/// reads transactions by a filter is planned here with sequential scans made a last resort: a filter that no index
/// can answer shows up as a scan of the whole table.
/// </summary>
public sealed class ListIndexTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static readonly DateTimeOffset Instant = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Cursor Deep = new("q", 10, Instant.UtcTicks, "tx-1");

    public static TheoryData<string> Filters => [.. TransactionFilters.Keys];

    private static readonly Dictionary<string, TransactionFilter> TransactionFilters = new()
    {
        ["none"] = Filter(),
        ["terminal status"] = Filter(statuses: ["completed"]),
        ["open status"] = Filter(statuses: ["pending_anchor"]),
        ["an operator's status"] = Filter(statuses: ["pending_review"]),
        ["statuses of both parts"] = Filter(statuses: ["completed", "pending_anchor", "error"]),
        ["sep and kind"] = Filter(sep: "24", kind: "deposit"),
        ["asset"] = Filter(asset: "iso4217:USD"),
        ["account"] = Filter(account: "GACCOUNT"),
        ["customer"] = Filter(customer: "customer-1"),
        ["customer and status"] = Filter(customer: "customer-1", statuses: ["completed"]),
        ["updated range"] = Filter(after: Instant.AddDays(-14), before: Instant),
        ["a wallet's anchor"] = Filter(anchor: "testanchor"),
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Each_list_filter_reads_transactions_through_an_index(string filter)
    {
        foreach (var cursor in new[] { null, Deep })
        {
            var (sql, parameters) = QueryStore.TransactionsStatement(TransactionFilters[filter], asOf: 10, cursor, take: 50);
            var plan = await AssertNoScanOfTransactionsAsync(sql, parameters);
            // An anchor's transactions come from the order index with the anchor as its condition, in every branch
            // (docs/wallet.md, "What it does not do yet"): no table scan, but no head_seq index either.
            if (filter == "a wallet's anchor") continue;
            // The transactions changed since the pin, from each part's head_seq index: a branch whose predicate no
            // longer implies its index's would fall back to another index, read whole.
            Assert.Contains(plan, line => line.Contains("IX_transactions_terminal_head_seq", StringComparison.Ordinal));
            Assert.Contains(plan, line => line.Contains("IX_transactions_open_head_seq", StringComparison.Ordinal));
            if (filter == "none")
            {
                Assert.Contains(plan, line => line.Contains("IX_transactions_terminal_order_key_id", StringComparison.Ordinal));
                Assert.Contains(plan, line => line.Contains("IX_transactions_open_order_key_id", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task A_customers_page_and_count_read_transactions_through_an_index()
    {
        foreach (var cursor in new[] { null, Deep })
        {
            var (sql, parameters) = QueryStore.CustomerStatement("customer-1", Anchors.Own, cursor, take: 50);
            var plan = await AssertNoScanOfTransactionsAsync(sql, parameters);
            Assert.Contains(plan, line => line.Contains("IX_transactions_customer_ids", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Reconciliation_reads_the_open_transactions_from_the_open_part()
    {
        var plan = await AssertNoScanOfTransactionsAsync(ReconciliationStore.OpenTransactionsSql, [new NpgsqlParameter { Value = "24" }]);
        // Not by the primary key, in its order: that reads every transaction, terminal or not.
        Assert.Contains(plan, line => line.Contains("IX_transactions_open_", StringComparison.Ordinal));
    }

    private async Task<List<string>> AssertNoScanOfTransactionsAsync(string sql, List<NpgsqlParameter> parameters)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction))
            await off.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection, transaction);
        // Cloned: a parameter belongs to one command.
        explain.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan on transactions", StringComparison.Ordinal));
        return plan;
    }

    private static TransactionFilter Filter(
        string? sep = null, string? kind = null, string[]? statuses = null, string? asset = null, DateTimeOffset? after = null,
        DateTimeOffset? before = null, string? customer = null, string? account = null, string? anchor = null) =>
        new(sep, kind, statuses ?? [], asset, after, before, customer, account, anchor);
}
