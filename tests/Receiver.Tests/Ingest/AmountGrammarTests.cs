using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Ingest;

/// <summary>
/// An amount AP has parsed is text Java's <c>new BigDecimal(String)</c> reads (AP@4.3.0:core/.../util/MathHelper.java,
/// SepRequestValidator.validateAmount), passed on as written: every such text is stored verbatim, whether or not
/// PostgreSQL's numeric could hold it, and nothing else is.
/// </summary>
public sealed class AmountGrammarTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    /// <summary>Texts BigDecimal reads (JDK 17 javadoc of <c>BigDecimal(String)</c> and its parser).</summary>
    public static TheoryData<string> BigDecimalTexts => new()
    {
        "100", "0.3", "1.0000000", "1E+2", "1e2", ".5", "10.", "+5", "-0", "-.5", "+.5e-3", "1e-7", "0E-10",
        // The exponent and the scale (fraction digits less the exponent) each fit an int.
        "1E+2147483647", "1E-2147483647", "9.9E+2147483647",
        // Leading zeros of a long exponent are skipped before its ten-digit limit.
        "1e+000000000000000000005",
        // Beyond PostgreSQL's numeric (131072 digits before the point): kept as text, never cast.
        "1E+999999",
        // Unicode decimal digits, which Character.digit reads: Arabic-Indic three, fullwidth one and zero.
        "\u0663", "\uFF11\uFF10.\uFF15",
    };

    /// <summary>Texts BigDecimal refuses with a NumberFormatException, so AP never sends them as a parsed amount.</summary>
    public static TheoryData<string> NotBigDecimalTexts => new()
    {
        "1,5", "1,000", "abc", "", " 5", "5 ", "0x10", "NaN", "Infinity", "-Infinity", ".", "+", "-", "e5", "1e", "1e+",
        "--5", "+-5", "1.2.3", "1e5.5", "1e2e3", "1_000", "\u00BD",
        // An exponent beyond an int, and a scale beyond one.
        "1E+2147483648", "1E-2147483649", "1e12345678901", "0.1E-2147483647", "1E-2147483648",
    };

    [Theory]
    [MemberData(nameof(BigDecimalTexts))]
    public async Task Accepts_and_stores_verbatim_every_amount_BigDecimal_reads(string amount)
    {
        var transaction = ApEvents.Sep6DepositExchange();
        transaction["amount_in"]!["amount"] = amount;
        transaction["amount_out"]!["amount"] = amount;
        var body = ApEvents.TransactionEvent("transaction_status_changed", transaction);

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var state = await app.CreateQueryClient().GetJsonAsync($"/transactions/{transaction["id"]}");
        Assert.Equal(amount, (string?)state["amount_in"]!["amount"]);
        Assert.Equal(amount, (string?)state["amount_out"]!["amount"]);
    }

    [Theory]
    [MemberData(nameof(BigDecimalTexts))]
    public async Task Accepts_every_BigDecimal_text_in_a_quote(string amount)
    {
        var body = ApEvents.QuoteCreated();
        foreach (var member in new[] { "sell_amount", "buy_amount", "price", "total_price" }) body["payload"]!["quote"]![member] = amount;
        body["payload"]!["quote"]!["fee"]!["total"] = amount;

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(NotBigDecimalTexts))]
    public async Task Refuses_a_parsed_amount_BigDecimal_cannot_read(string amount)
    {
        var transaction = ApEvents.Sep6DepositExchange();
        transaction["amount_in"]!["amount"] = amount;
        var body = ApEvents.TransactionEvent("transaction_status_changed", transaction);

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["payload.transaction.amount_in.amount"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Theory]
    [MemberData(nameof(NotBigDecimalTexts))]
    public async Task Refuses_a_quote_price_BigDecimal_cannot_read(string price)
    {
        var body = ApEvents.QuoteCreated();
        body["payload"]!["quote"]!["price"] = price;

        var response = await app.CreateApClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
