using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>
/// What AP 3.x and 4.x send beyond 2.10, and what any line passes on from a wallet or an anchor without checking it:
/// answered 200, stored byte for byte, and in the state (docs/anchor-platform.md: "What each line adds").
/// </summary>
public sealed class NewerApShapesTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    /// <summary>A SEP-45 contract account (the testnet XLM asset contract), as AP 4.x keeps it.</summary>
    private const string ContractAccount = "CDLZFC3SYJYDZT7K67VZ75HPJVIEUVNIXF47ZG2FB2RMQQVU2HHGCYSC";

    /// <summary>A muxed account (SEP-23's example), which SEP-6 and SEP-24 keep from AP 4.3.</summary>
    private const string MuxedAccount = "MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAAJLK";

    /// <summary>The largest id memo, 2^64 - 1.</summary>
    private const string LargestIdMemo = "18446744073709551615";

    private async Task<JsonNode> PostAndReadStateAsync(JsonObject transaction, string type = "transaction_status_changed")
    {
        var body = ApEvents.TransactionEvent(type, transaction).ToJsonString();

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var id = (string)JsonNode.Parse(body)!["id"]!;
        Assert.Equal(Encoding.UTF8.GetBytes(body), await app.ScalarAsync<byte[]>("SELECT body FROM events WHERE id = $1", id));
        return await app.CreateQueryClient().GetJsonAsync($"/transactions/{transaction["id"]}");
    }

    // AP@3.1.4 and AP@4.3.0:core/.../util/TransactionMapper.java: amount_expected is null once makeAsset finds the
    // asset neither on the transaction nor in the asset configuration.
    [Theory]
    [InlineData("24")]
    [InlineData("6")]
    public async Task Accepts_a_transaction_without_amount_expected_once_its_asset_is_delisted(string sep)
    {
        var transaction = sep == "24" ? ApEvents.Sep24DepositCreated() : ApEvents.Sep6Deposit();
        transaction.Remove("amount_expected");

        var state = await PostAndReadStateAsync(transaction, "transaction_created");

        Assert.Null(state["amount_expected"]);
        Assert.Equal((string?)transaction["status"], (string?)state["status"]);
    }

    // AP@2.10.2 and AP@4.3.0:core/.../sep24/Sep24Service.java: the wallet's amount is parsed only against the asset's
    // min_amount and max_amount, and stored as typed; with neither configured it is not parsed at all.
    [Theory]
    [InlineData("1,5")]
    [InlineData(" 100 ")]
    [InlineData("ten")]
    [InlineData("")]
    public async Task Keeps_a_SEP24_expected_amount_as_the_wallet_typed_it(string typed)
    {
        var transaction = ApEvents.Sep24DepositCreated();
        transaction["amount_expected"] = ApEvents.Amount(typed);

        var state = await PostAndReadStateAsync(transaction, "transaction_created");

        Assert.Equal(typed, (string?)state["amount_expected"]!["amount"]);
    }

    // AP@4.3.0:api-schema/.../platform/PlatformTransactionData.java (request_client_ip_address, from 4.1): the client's
    // own text when AP's request logger is on, of any length and content. It is only ever shown JSON-escaped.
    [Fact]
    public async Task Stores_request_client_ip_address_of_any_length_and_content()
    {
        var hostile = "203.0.113.7, \"evil\"\n\u2028<script>\u001b[31m" + new string('9', 5000);
        var transaction = ApEvents.Sep24DepositCreated();
        transaction["request_client_ip_address"] = hostile;

        var state = await PostAndReadStateAsync(transaction, "transaction_created");

        Assert.Equal(hostile, (string?)state["request_client_ip_address"]);
    }

    // AP@4.3.0:core/.../util/TransactionMapper.java keeps the SEP-10/SEP-45 account (muxed if so) as SEP-6 and SEP-24
    // customers and creator; platform/.../utils/PaymentHelper.java types a token contract's transfer as path_payment,
    // from and to as the host function names them.
    [Fact]
    public async Task Accepts_and_indexes_contract_and_muxed_accounts_and_the_largest_id_memo()
    {
        var transaction = ApEvents.Sep24DepositCompleted();
        var contract = new JsonObject { ["account"] = ContractAccount };
        var muxed = new JsonObject { ["account"] = MuxedAccount, ["memo"] = LargestIdMemo };
        transaction["customers"] = new JsonObject { ["sender"] = muxed.DeepClone(), ["receiver"] = contract };
        transaction["creator"] = muxed;
        transaction["destination_account"] = ContractAccount;
        transaction["memo"] = LargestIdMemo;
        transaction["memo_type"] = "id";
        var payment = transaction["stellar_transactions"]![0]!["payments"]![0]!;
        payment["source_account"] = ContractAccount;
        payment["destination_account"] = MuxedAccount;
        payment["payment_type"] = "path_payment";

        var state = await PostAndReadStateAsync(transaction);

        Assert.Equal(LargestIdMemo, (string?)state["memo"]);
        foreach (var account in new[] { ContractAccount, MuxedAccount })
        {
            var found = await app.CreateQueryClient().GetJsonAsync($"/transactions?account={account}");
            Assert.Contains((string?)transaction["id"], found["data"]!.AsArray().Select(row => (string?)row!["id"]));
        }
    }

    // AP@4.3.0 GetTransactionResponse.fundingMethod (camelCase, from 3.0) and GetQuoteResponse's delivery methods;
    // after 4.3.0 (stellar/anchor-platform@77036de2, GetTransactionResponse.java) SEP-31's fields map and camelCase
    // requiredInfoUpdatesFields.
    [Fact]
    public async Task Stores_the_members_AP_3_and_4_add()
    {
        var transaction = ApEvents.Sep31Created();
        transaction["fundingMethod"] = "SEPA";
        transaction["fields"] = new JsonObject { ["receiver_account_number"] = "DE89370400440532013000", ["type"] = "SEPA" };
        transaction["requiredInfoUpdatesFields"] = new JsonObject
        {
            ["receiver_account_number"] = new JsonObject
            {
                ["description"] = "IBAN or account number", ["choices"] = new JsonArray("a", "b"), ["optional"] = false,
            },
        };

        var state = await PostAndReadStateAsync(transaction);

        Assert.Equal("SEPA", (string?)state["fundingMethod"]);
        Assert.Equal("DE89370400440532013000", (string?)state["fields"]!["receiver_account_number"]);
        Assert.False((bool)state["requiredInfoUpdatesFields"]!["receiver_account_number"]!["optional"]!);

        var quote = ApEvents.QuoteCreated();
        quote["payload"]!["quote"]!["sell_delivery_method"] = "SEPA";
        quote["payload"]!["quote"]!["buy_delivery_method"] = "cash";
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(quote)).StatusCode);
    }

    // Accounts, assets and customer ids are the anchor's or wallet's text (a SEP-12 id is whatever the anchor's
    // customer callback answers); PostgreSQL cannot index a long one, so it is kept in the snapshot only.
    [Fact]
    public async Task Stores_but_does_not_index_a_value_too_long_to_index()
    {
        var longAccount = "G" + new string('A', 300);
        var longCustomer = new string('c', 3000);
        var longAsset = "stellar:" + new string('X', 300);
        var transaction = ApEvents.Sep6Deposit();
        transaction["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["id"] = longCustomer, ["account"] = longAccount },
            ["receiver"] = new JsonObject { ["account"] = ApEvents.UserAccount },
        };
        transaction["source_account"] = longAccount;
        transaction["amount_expected"] = ApEvents.Amount("100", longAsset);

        var state = await PostAndReadStateAsync(transaction);

        Assert.Equal(longCustomer, (string?)state["customers"]!["sender"]!["id"]);
        Assert.Equal(longAsset, (string?)state["amount_expected"]!["asset"]);
        var id = (string)transaction["id"]!;
        Assert.Equal([ApEvents.UserAccount], (await app.ScalarAsync<string[]>("SELECT accounts FROM transactions WHERE id = $1", id))!);
        Assert.Empty((await app.ScalarAsync<string[]>("SELECT assets FROM transactions WHERE id = $1", id))!);
        Assert.Empty((await app.ScalarAsync<string[]>("SELECT customer_ids FROM transactions WHERE id = $1", id))!);
        Assert.Equal(0, await app.CountAsync("customers", "id = $1", longCustomer));
    }

    // A quote's id is the anchor's rate id (AP@4.3.0:core/.../sep38/Sep38Service.java postQuote), a customer's the
    // anchor's SEP-12 id, which may even be missing (core/.../sep12/Sep12Service.java putCustomer): neither is
    // bounded. The event is stored; an id that cannot key a row leaves the quote or customer without a state row.
    [Fact]
    public async Task Stores_quote_and_customer_events_whose_id_cannot_key_a_row()
    {
        var longId = new string('q', 3000);
        var quotes = new[] { longId, "rate\u0007id" }.Select(id =>
        {
            var quote = ApEvents.QuoteCreated();
            quote["payload"]!["quote"]!["id"] = id;
            return quote;
        });
        var customers = new[] { longId, null }.Select(id =>
        {
            var customer = ApEvents.CustomerUpdated();
            customer["payload"]!["customer"] = id is null ? new JsonObject() : new JsonObject { ["id"] = id };
            return customer;
        });

        foreach (var body in quotes.Concat(customers))
        {
            var response = await app.CreateApClient().PostEventAsync(body);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            Assert.Equal(1, await app.CountAsync("events", "id = $1 AND quote_id IS NULL AND customer_id IS NULL", (string)body["id"]!));
        }
        Assert.Equal(0, await app.CountAsync("quotes", "id = $1 OR id = $2", longId, "rate\u0007id"));
        Assert.Equal(0, await app.CountAsync("customers", "id = $1", longId));
    }

    // An anchor sets these instants (PATCH /transactions at 2.10.2 to 4.3.0: platform/.../service/TransactionService.java;
    // the JSON-RPC actions' user_action_required_by and funds_received_at; the rate callback's expires_at) and AP takes
    // any java.time.Instant, which GsonUtils writes with ISO_INSTANT: a year past 9999 signed, one before 1 as 0000 or
    // -0001, up to Instant.MAX (api-schema/.../util/GsonUtils.java at 2.10.2 and 4.3.0).
    [Theory]
    [InlineData("+10000-01-01T00:00:00Z")]
    [InlineData("+1000000000-12-31T23:59:59.999999999Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("-0001-12-31T23:59:59.5Z")]
    [InlineData("-1000000000-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999999Z")]
    public async Task Stores_instants_of_any_year_AP_writes_and_orders_them_by_their_bound(string instant)
    {
        var transaction = ApEvents.Sep6WithdrawalOnHold();
        transaction["started_at"] = instant;
        transaction["updated_at"] = instant;
        transaction["user_action_required_by"] = instant;

        var state = await PostAndReadStateAsync(transaction);

        Assert.Equal(instant, (string?)state["started_at"]);
        Assert.Equal(instant, (string?)state["user_action_required_by"]);
        // Listed, page by page: the cursors carry the bound it orders by.
        var listed = await app.CreateQueryClient().WalkAsync($"/transactions?account={ApEvents.UserAccount}&limit=2");
        Assert.Contains((string?)transaction["id"], listed.Select(row => (string?)row["id"]));
        var timeline = await app.CreateQueryClient().GetJsonAsync($"/transactions/{transaction["id"]}/events");
        Assert.Single(timeline["data"]!.AsArray());

        var quote = ApEvents.QuoteCreated();
        quote["payload"]!["quote"]!["expires_at"] = instant;
        var response = await app.CreateApClient().PostEventAsync(quote);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var storedQuote = await app.CreateQueryClient().GetJsonAsync($"/quotes/{quote["payload"]!["quote"]!["id"]}");
        Assert.Equal(instant, (string?)storedQuote["expires_at"]);
    }
}
