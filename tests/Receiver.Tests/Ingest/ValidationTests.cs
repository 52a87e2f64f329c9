using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>
/// Every validation rule answers 400 problem+json naming the dotted JSON path of the offending field, and the body
/// is kept as rejected. Cases: (shape, pointer to edit, new JSON value or null to remove, reported path).
/// </summary>
public sealed class ValidationTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    public static TheoryData<string, string, string?, string> Violations => new()
    {
        // Envelope
        { "sep24-deposit-created", "id", null, "id" },
        { "sep24-deposit-created", "id", "42", "id" },
        { "sep24-deposit-created", "id", "\"  \"", "id" },
        { "sep24-deposit-created", "id", "\"a\\u0001b\"", "id" },
        { "sep24-deposit-created", "id", "\"" + new string('x', 256) + "\"", "id" },
        { "sep24-deposit-created", "type", null, "type" },
        { "sep24-deposit-created", "type", "\"transaction_updated\"", "type" },
        { "sep24-deposit-created", "timestamp", null, "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"2024-09-25\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"2024-09-25T18:59:32.1234567891Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"2024-02-30T00:00:00Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"2024-09-25T18:59:32\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "1727290772", "timestamp" },
        // ISO_INSTANT signs a year of five digits or more, and only such a year with '+'; none has eleven.
        { "sep24-deposit-created", "timestamp", "\"10000-01-01T00:00:00Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"+2024-09-25T18:59:32Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"+10000-02-30T00:00:00Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"-10000000000-01-01T00:00:00Z\"", "timestamp" },
        { "sep24-deposit-created", "timestamp", "\"+10000-01-01\"", "timestamp" },
        { "sep24-deposit-created", "payload", null, "payload" },
        { "sep24-deposit-created", "payload", "\"x\"", "payload" },
        // Transaction
        { "sep24-deposit-created", "payload/transaction", null, "payload.transaction" },
        { "sep24-deposit-created", "payload/transaction", "[]", "payload.transaction" },
        { "sep24-deposit-created", "payload/transaction/id", null, "payload.transaction.id" },
        { "sep24-deposit-created", "payload/transaction/sep", null, "payload.transaction.sep" },
        { "sep24-deposit-created", "payload/transaction/sep", "24", "payload.transaction.sep" },
        { "sep24-deposit-created", "payload/transaction/sep", "\"12\"", "payload.transaction.sep" },
        { "sep24-deposit-created", "payload/transaction/kind", "\"receive\"", "payload.transaction.kind" },
        { "sep31-created", "payload/transaction/kind", "\"deposit\"", "payload.transaction.kind" },
        { "sep6-deposit-created", "payload/transaction/kind", "\"withdraw\"", "payload.transaction.kind" },
        { "sep6-deposit-created", "payload/transaction/kind", null, "payload.transaction.kind" },
        { "sep24-deposit-created", "payload/transaction/status", null, "payload.transaction.status" },
        { "sep24-deposit-created", "payload/transaction/status", "\"ON_HOLD\"", "payload.transaction.status" },
        { "sep31-created", "payload/transaction/status", "\"pending\"", "payload.transaction.status" },
        { "sep24-deposit-created", "payload/transaction/started_at", null, "payload.transaction.started_at" },
        { "sep24-deposit-created", "payload/transaction/updated_at", "\"yesterday\"", "payload.transaction.updated_at" },
        { "sep24-deposit-completed", "payload/transaction/completed_at", "\"2024-06-25 21:00:00\"", "payload.transaction.completed_at" },
        { "sep31-pending-receiver", "payload/transaction/transfer_received_at", "5", "payload.transaction.transfer_received_at" },
        { "sep6-withdrawal-on-hold", "payload/transaction/user_action_required_by", "\"2024-07-02T25:00:00Z\"", "payload.transaction.user_action_required_by" },
        // Amounts
        { "sep24-deposit-created", "payload/transaction/amount_expected", "\"100\"", "payload.transaction.amount_expected" },
        { "sep24-deposit-completed", "payload/transaction/amount_in/amount", null, "payload.transaction.amount_in.amount" },
        { "sep24-deposit-completed", "payload/transaction/amount_in/amount", "100", "payload.transaction.amount_in.amount" },
        { "sep24-deposit-completed", "payload/transaction/amount_in/amount", "\"1,000\"", "payload.transaction.amount_in.amount" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/amount_out/amount", "\"1e\"", "payload.transaction.amount_out.amount" },
        { "sep24-deposit-completed", "payload/transaction/amount_in", "\"100\"", "payload.transaction.amount_in" },
        { "sep24-deposit-completed", "payload/transaction/amount_in/asset", "5", "payload.transaction.amount_in.asset" },
        { "sep24-deposit-completed", "payload/transaction/amount_out", "{}", "payload.transaction.amount_out.amount" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/amount_fee", "{}", "payload.transaction.amount_fee.amount" },
        { "sep31-created", "payload/transaction/amount_in/amount", "\"ten\"", "payload.transaction.amount_in.amount" },
        { "sep6-deposit-created", "payload/transaction/amount_expected/amount", "\"\"", "payload.transaction.amount_expected.amount" },
        { "sep24-deposit-created", "payload/transaction/amount_expected/amount", "100", "payload.transaction.amount_expected.amount" },
        // fee_details
        { "sep24-deposit-completed", "payload/transaction/fee_details/total", null, "payload.transaction.fee_details.total" },
        { "sep24-deposit-completed", "payload/transaction/fee_details/asset", "5", "payload.transaction.fee_details.asset" },
        { "sep24-deposit-completed", "payload/transaction/fee_details/total", "5", "payload.transaction.fee_details.total" },
        { "quote-created", "payload/quote/fee/asset", null, "payload.quote.fee.asset" },
        { "quote-created", "payload/quote/fee/total", "\"two\"", "payload.quote.fee.total" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/fee_details/details/0/name", "1", "payload.transaction.fee_details.details[0].name" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/fee_details/details/1/amount", "0.5", "payload.transaction.fee_details.details[1].amount" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/fee_details/details", "{}", "payload.transaction.fee_details.details" },
        { "sep31-created", "payload/transaction/fee_details", "\"0.3\"", "payload.transaction.fee_details" },
        // refunds
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/amount_refunded", "\"100\"", "payload.transaction.refunds.amount_refunded" },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/id_type", "\"bank\"", "payload.transaction.refunds.payments[0].id_type" },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/amount/amount", "95", "payload.transaction.refunds.payments[0].amount.amount" },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/refunded_at", "\"x\"", "payload.transaction.refunds.payments[0].refunded_at" },
        // stellar_transactions
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions", "{}", "payload.transaction.stellar_transactions" },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0", "5", "payload.transaction.stellar_transactions[0]" },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/id", "5", "payload.transaction.stellar_transactions[0].id" },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/created_at", "\"x\"", "payload.transaction.stellar_transactions[0].created_at" },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/payments", "{}", "payload.transaction.stellar_transactions[0].payments" },
        { "sep31-pending-receiver", "payload/transaction/stellar_transactions/0/payments/0/payment_type", "\"transfer\"", "payload.transaction.stellar_transactions[0].payments[0].payment_type" },
        { "sep31-pending-receiver", "payload/transaction/stellar_transactions/0/payments/0/amount/amount", "1", "payload.transaction.stellar_transactions[0].payments[0].amount.amount" },
        { "sep31-pending-receiver", "payload/transaction/stellar_transactions/0/payments/0/source_account", "5", "payload.transaction.stellar_transactions[0].payments[0].source_account" },
        // customers, creator, SEP-6 extras, plain strings
        { "sep31-created", "payload/transaction/customers/sender/id", "7", "payload.transaction.customers.sender.id" },
        { "sep31-created", "payload/transaction/customers", "\"x\"", "payload.transaction.customers" },
        { "sep31-created", "payload/transaction/creator/account", "1", "payload.transaction.creator.account" },
        { "sep6-withdrawal-on-hold", "payload/transaction/source_account", "[]", "payload.transaction.source_account" },
        { "sep6-withdrawal-on-hold", "payload/transaction/instructions/organization.bank_number/value", "121122676", "payload.transaction.instructions.organization.bank_number.value" },
        { "sep6-withdrawal-on-hold", "payload/transaction/instructions/organization.bank_number", "\"121122676\"", "payload.transaction.instructions.organization.bank_number" },
        { "sep6-withdrawal-on-hold", "payload/transaction/instructions", "[]", "payload.transaction.instructions" },
        { "sep6-withdrawal-exchange-customer-info", "payload/transaction/required_info_updates", "\"bank_number\"", "payload.transaction.required_info_updates" },
        { "sep6-withdrawal-exchange-customer-info", "payload/transaction/required_info_updates/0", "1", "payload.transaction.required_info_updates[0]" },
        { "sep6-withdrawal-exchange-customer-info", "payload/transaction/required_customer_info_message", "false", "payload.transaction.required_customer_info_message" },
        { "sep6-withdrawal-on-hold", "payload/transaction/message", "5", "payload.transaction.message" },
        { "sep6-withdrawal-on-hold", "payload/transaction/memo_type", "1", "payload.transaction.memo_type" },
        { "sep6-withdrawal-on-hold", "payload/transaction/type", "3", "payload.transaction.type" },
        { "sep24-deposit-created", "payload/transaction/client_domain", "false", "payload.transaction.client_domain" },
        { "sep24-deposit-created", "payload/transaction/quote_id", "{}", "payload.transaction.quote_id" },
        // Quote
        { "quote-created", "payload/quote", null, "payload.quote" },
        { "quote-created", "payload/quote/id", null, "payload.quote.id" },
        { "quote-created", "payload/quote/sell_amount", "102", "payload.quote.sell_amount" },
        { "quote-created", "payload/quote/expires_at", "\"soon\"", "payload.quote.expires_at" },
        { "quote-created", "payload/quote/fee/total", null, "payload.quote.fee.total" },
        { "quote-created", "payload/quote/creator/account", "1", "payload.quote.creator.account" },
        // Customer
        { "customer-updated", "payload/customer/id", "7", "payload.customer.id" },
        { "customer-updated", "payload/customer", "\"x\"", "payload.customer" },
        // The subject must match the type
        { "quote-created", "type", "\"customer_updated\"", "payload.customer" },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Each_rule_reports_its_path(string shape, string pointer, string? value, string path)
    {
        var body = ApEvents.All[shape]().Set(pointer, value).ToJsonString();

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToArray();
        Assert.Equal([path], errors);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("errors").GetProperty(path)[0].GetString()));
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(path, detail);
        Assert.DoesNotContain('\n', detail);

        Assert.Equal(1, await app.CountAsync("rejected_events", "body = $1", Encoding.UTF8.GetBytes(body)));
        Assert.Equal(0, await app.CountAsync("events", "body = $1", Encoding.UTF8.GetBytes(body)));
    }

    public static TheoryData<string, string, string?> RealTrafficDeviations => new()
    {
        { "sep31-created", "payload/transaction/amount_in", "{}" },
        { "sep31-created", "payload/transaction/amount_expected", "{\"asset\":\"stellar:USDC:G\"}" },
        { "sep24-deposit-created", "payload/transaction/amount_expected", "{}" },
        { "sep6-deposit-created", "payload/transaction/amount_expected", null },
        { "sep24-deposit-created", "payload/transaction/amount_expected", null },
        { "sep24-withdrawal-created", "payload/transaction/destination_account", null },
        { "sep24-deposit-created", "payload/transaction/message", "null" },
        { "sep24-deposit-created", "payload/transaction/updated_at", "\"2024-06-25T22:33:17.013738+02:00\"" },
        { "sep24-deposit-created", "timestamp", "\"2024-09-25t18:59:32z\"" },
        { "sep24-deposit-completed", "payload/transaction/amount_in/amount", "\"0.0000001\"" },
        { "sep6-withdrawal-on-hold", "payload/transaction/memo_type", "\"none\"" },
        { "quote-created", "payload/quote/transaction_id", "\"b9a6b7a6-1e2f-4b1e-9a8e-0f5c8a9b7c6d\"" },
        { "sep31-created", "payload/transaction/unknown_future_field", "{\"anything\":[1,true,null]}" },
        // PATCH /transactions stores the anchor's refunds, stellar_transactions, fee_details and instructions without
        // checking their members (AP@2.10.2 and AP@4.3.0:platform/.../service/TransactionService.java; 2.10.2's
        // validateAndGetRateFee takes fee_details as given when no amount_fee comes with them), and RestRateIntegration
        // never looks at a rate's fee lines (AP@4.3.0:platform/.../callback/RestRateIntegration.java).
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/fee", "{\"asset\":\"stellar:USDC:G\"}" },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/id", null },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/payments/0/amount/amount", "\"ninety-five\"" },
        { "sep24-withdrawal-refunded", "payload/transaction/refunds/amount_refunded", null },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/payments", null },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/id", null },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/payments/0/source_account", null },
        { "sep24-deposit-completed", "payload/transaction/stellar_transactions/0/payments/0/amount/amount", "\"1,5\"" },
        { "sep24-deposit-completed", "payload/transaction/fee_details", "{\"total\":\"5\"}" },
        { "sep24-deposit-completed", "payload/transaction/fee_details/total", "\"five\"" },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/fee_details/details/0/name", null },
        { "sep6-deposit-exchange-pending-anchor", "payload/transaction/fee_details/details/1/amount", "\"half\"" },
        { "quote-created", "payload/quote/fee/details/0/name", null },
        { "quote-created", "payload/quote/fee/details/0/amount", "\"2 USD\"" },
        { "sep6-withdrawal-on-hold", "payload/transaction/instructions/organization.bank_number/description", null },
        // 2.x PATCH /transactions stores a SEP-6 transaction's required_info_updates and required_customer_info_updates
        // as the anchor's List<String>, null elements and all, and TransactionHelper sends them back; Gson writes a
        // null element of an array (AP@2.10.2 and AP@2.12.0:platform/.../service/TransactionService.java,
        // core/.../util/TransactionHelper.java).
        { "sep6-withdrawal-exchange-customer-info", "payload/transaction/required_info_updates/1", "null" },
        { "sep6-withdrawal-exchange-customer-info", "payload/transaction/required_customer_info_updates/0", "null" },
    };

    [Theory]
    [MemberData(nameof(RealTrafficDeviations))]
    public async Task Accepts_what_AP_really_sends_beyond_its_published_schema(string shape, string pointer, string? value)
    {
        var response = await app.CreateApClient().PostEventAsync(ApEvents.All[shape]().Set(pointer, value));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Rules read short strings from the raw UTF-8 between the quotes, without a string per value; a value with an
    /// escape (Gson writes <c>=</c> as <c>\u003d</c>) or too long for that buffer is read as a string. Either way a
    /// rule judges the text, not its JSON spelling. Cases: (member, value as it would be written plainly, the same
    /// value as JSON text, the path refused or null when accepted).
    /// </summary>
    public static TheoryData<string, string, string, string?> SpelledStrings => new()
    {
        { "sep", "\"24\"", "\"\\u0032\\u0034\"", null },
        { "status", "\"completed\"", "\"\\u0063ompleted\"", null },
        { "status", "\"completed\"", "\"\\u0064one\"", "payload.transaction.status" },
        { "started_at", "\"2024-06-25T20:30:12.000000Z\"", "\"2024-06-25T20:30:12\\u002e5Z\"", null },
        { "started_at", "\"2024-06-25T20:30:12.000000Z\"", $"\"2024-06-25T20:30:12.{new string('0', 200)}Z\"", "payload.transaction.started_at" },
        { "started_at", "\"2024-06-25T20:30:12.000000Z\"", $"\"2024-06-25T20:30:12Z{new string(' ', 200)}\"", "payload.transaction.started_at" },
        { "amount", "\"100\"", "\"1\\u00300\"", null },
        { "amount", "\"100\"", "\"1\\u002c000\"", "payload.transaction.amount_in.amount" },
        { "amount", "\"100\"", $"\"1{new string('0', 200)}\"", null },
        { "id", "\"{id}\"", $"\"{new string('x', 200)}\"", null },
        { "id", "\"{id}\"", $"\"{new string('x', 256)}\"", "payload.transaction.id" },
        { "id", "\"{id}\"", "\"\\u0020\\t\"", "payload.transaction.id" },
    };

    [Theory]
    [MemberData(nameof(SpelledStrings))]
    public async Task Rules_judge_a_string_by_its_text_however_it_is_spelled(string member, string plain, string spelled, string? refusedAt)
    {
        var id = Guid.NewGuid().ToString();
        var transaction = ApEvents.All["sep24-deposit-completed"]()
            .Set("payload/transaction/id", $"\"{id}\"")
            .Set("payload/transaction/amount_in/amount", "\"100\"")
            .Set("payload/transaction/started_at", "\"2024-06-25T20:30:12.000000Z\"")
            .ToJsonString();
        var target = $"\"{member}\":{plain.Replace("{id}", id)}";
        Assert.Contains(target, transaction);
        var body = transaction.Replace(target, $"\"{member}\":{spelled}");

        var response = await app.CreateApClient().PostEventAsync(body);

        if (refusedAt is null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return;
        }
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([refusedAt], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToArray());
    }

    [Fact]
    public async Task Names_every_problem_at_once()
    {
        var body = ApEvents.All["sep24-deposit-completed"]()
            .Set("timestamp", "\"now\"")
            .Set("payload/transaction/status", "\"done\"")
            .Set("payload/transaction/amount_in/amount", "100")
            .Set("payload/transaction/stellar_transactions/0/payments/0/payment_type", "\"wire\"");

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        string[] expected =
        [
            "timestamp", "payload.transaction.status", "payload.transaction.amount_in.amount",
            "payload.transaction.stellar_transactions[0].payments[0].payment_type",
        ];
        Assert.Equal(expected.Order(), problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
        Assert.All(expected, path => Assert.Contains(path, problem.GetProperty("detail").GetString()));
        Assert.Equal("Invalid event", problem.GetProperty("title").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }
}
