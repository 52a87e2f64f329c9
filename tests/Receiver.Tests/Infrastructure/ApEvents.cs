using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// Event bodies shaped as AP 2.10 sends them (docs/anchor-platform.md: "Request body" and "Sample data in AP's repository"): Gson output,
/// nulls omitted, every number a string, SEP-31 amounts that may be {}, SEP-6 with instructions, on_hold, fee_details.
/// </summary>
public static class ApEvents
{
    public const string Usdc = "stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP";
    public const string HorizonUsdc = "USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP";
    public const string UserAccount = "GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO";
    public const string DistributionAccount = "GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF";

    /// <summary>Every event type and SEP shape AP sends, by name, for theories.</summary>
    public static readonly IReadOnlyDictionary<string, Func<JsonObject>> All = new Dictionary<string, Func<JsonObject>>
    {
        ["sep6-deposit-created"] = () => TransactionEvent("transaction_created", Sep6Deposit()),
        ["sep6-deposit-exchange-pending-anchor"] = () => TransactionEvent("transaction_status_changed", Sep6DepositExchange()),
        ["sep6-withdrawal-on-hold"] = () => TransactionEvent("transaction_status_changed", Sep6WithdrawalOnHold()),
        ["sep6-withdrawal-exchange-customer-info"] = () => TransactionEvent("transaction_status_changed", Sep6WithdrawalExchangeNeedsInfo()),
        ["sep24-deposit-created"] = () => TransactionEvent("transaction_created", Sep24DepositCreated()),
        ["sep24-deposit-completed"] = () => TransactionEvent("transaction_status_changed", Sep24DepositCompleted()),
        ["sep24-withdrawal-created"] = () => TransactionEvent("transaction_created", Sep24WithdrawalCreated()),
        ["sep24-withdrawal-refunded"] = () => TransactionEvent("transaction_status_changed", Sep24WithdrawalRefunded()),
        ["sep24-error"] = () => TransactionEvent("transaction_error", Sep24Error()),
        ["sep31-created"] = () => TransactionEvent("transaction_created", Sep31Created()),
        ["sep31-pending-receiver"] = () => TransactionEvent("transaction_status_changed", Sep31PendingReceiver()),
        ["quote-created"] = QuoteCreated,
        ["customer-updated"] = CustomerUpdated,
    };

    public static JsonObject TransactionEvent(string type, JsonObject transaction) =>
        Envelope(type, new JsonObject { ["transaction"] = transaction });

    public static JsonObject Envelope(string type, JsonObject payload) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["type"] = type,
        ["timestamp"] = Timestamp(DateTimeOffset.UtcNow),
        ["payload"] = payload,
    };

    /// <summary>
    /// A transaction event of exactly <paramref name="bytes"/> bytes (at least its size without a message), the bulk
    /// in the transaction's <c>message</c>, free text AP passes on: an event as large as AP may send.
    /// </summary>
    public static JsonObject LargeTransactionEvent(int bytes)
    {
        const string sentence = "Funds received, the deposit is being credited to the account. ";
        var body = TransactionEvent("transaction_status_changed", Sep24DepositCompleted());
        var transaction = body["payload"]!["transaction"]!.AsObject();
        transaction["message"] = "";
        var room = Math.Max(0, bytes - Encoding.UTF8.GetByteCount(body.ToJsonString()));
        transaction["message"] = string.Concat(Enumerable.Repeat(sentence, room / sentence.Length + 1))[..room];
        return body;
    }

    /// <summary>ISO_INSTANT as Gson writes it: UTC, 'Z', a fraction of 0, 3, 6 or 9 digits.</summary>
    public static string Timestamp(DateTimeOffset instant, int fractionDigits = 6)
    {
        var whole = instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (fractionDigits == 0) return whole + "Z";
        var fraction = (instant.UtcDateTime.Ticks % TimeSpan.TicksPerSecond).ToString("D7", CultureInfo.InvariantCulture) + "00";
        return $"{whole}.{fraction[..fractionDigits]}Z";
    }

    public static JsonObject Amount(string amount, string asset = Usdc) => new() { ["amount"] = amount, ["asset"] = asset };

    public static JsonObject Sep6Deposit() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "6",
        ["kind"] = "deposit",
        ["status"] = "incomplete",
        ["type"] = "SWIFT",
        ["amount_expected"] = Amount("100"),
        ["started_at"] = "2024-06-25T20:33:17.013738Z",
        ["updated_at"] = "2024-06-25T20:33:17.013738Z",
        ["destination_account"] = UserAccount,
        ["client_domain"] = "vibrant.stellar.org",
        ["client_name"] = "vibrant",
        ["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["account"] = UserAccount, ["memo"] = "123" },
            ["receiver"] = new JsonObject { ["account"] = UserAccount, ["memo"] = "123" },
        },
    };

    public static JsonObject Sep6DepositExchange() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "6",
        ["kind"] = "deposit-exchange",
        ["status"] = "pending_anchor",
        ["type"] = "SWIFT",
        ["amount_expected"] = Amount("100", "iso4217:USD"),
        ["amount_in"] = Amount("100", "iso4217:USD"),
        ["amount_out"] = Amount("98", Usdc),
        ["amount_fee"] = Amount("2", "iso4217:USD"),
        ["fee_details"] = new JsonObject
        {
            ["total"] = "2",
            ["asset"] = "iso4217:USD",
            ["details"] = new JsonArray(
                new JsonObject { ["name"] = "Service fee", ["description"] = "Fixed service fee", ["amount"] = "1.5" },
                new JsonObject { ["name"] = "ACH fee", ["amount"] = "0.5" }),
        },
        ["quote_id"] = NewId(),
        ["started_at"] = "2024-06-25T20:33:17.013738Z",
        ["updated_at"] = "2024-06-25T20:40:02.118Z",
        ["transfer_received_at"] = "2024-06-25T20:39:00Z",
        ["external_transaction_id"] = "ext-123456",
        ["destination_account"] = UserAccount,
        ["message"] = "funds received",
        ["client_domain"] = "vibrant.stellar.org",
        ["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["account"] = UserAccount },
            ["receiver"] = new JsonObject { ["account"] = UserAccount },
        },
    };

    public static JsonObject Sep6WithdrawalOnHold() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "6",
        ["kind"] = "withdrawal",
        ["status"] = "on_hold",
        ["type"] = "bank_account",
        ["amount_expected"] = Amount("250.50"),
        ["amount_in"] = Amount("250.50"),
        ["amount_out"] = Amount("245.50", "iso4217:USD"),
        ["amount_fee"] = Amount("5", Usdc),
        ["fee_details"] = new JsonObject { ["total"] = "5", ["asset"] = Usdc },
        ["started_at"] = "2024-07-01T09:00:00.000001Z",
        ["updated_at"] = "2024-07-01T09:05:00.000001Z",
        ["user_action_required_by"] = "2024-07-02T09:00:00Z",
        ["source_account"] = UserAccount,
        ["destination_account"] = DistributionAccount,
        ["memo"] = "12345",
        ["memo_type"] = "id",
        ["refund_memo"] = "r-1",
        ["refund_memo_type"] = "text",
        ["message"] = "held for compliance review",
        ["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["account"] = UserAccount },
            ["receiver"] = new JsonObject { ["account"] = UserAccount },
        },
        ["instructions"] = new JsonObject
        {
            ["organization.bank_number"] = new JsonObject { ["value"] = "121122676", ["description"] = "US bank routing number" },
            ["organization.bank_account_number"] = new JsonObject { ["value"] = "13719713158835300", ["description"] = "US bank account number" },
        },
    };

    public static JsonObject Sep6WithdrawalExchangeNeedsInfo() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "6",
        ["kind"] = "withdrawal-exchange",
        ["status"] = "pending_customer_info_update",
        ["type"] = "SEPA",
        ["amount_expected"] = new JsonObject { ["asset"] = Usdc },
        ["quote_id"] = NewId(),
        ["started_at"] = "2024-07-01T09:00:00Z",
        ["updated_at"] = "2024-07-01T09:01:00.5Z",
        ["required_info_message"] = "We need your bank details",
        ["required_info_updates"] = new JsonArray("bank_account_number", "bank_number"),
        ["required_customer_info_message"] = "We need your bank details",
        ["required_customer_info_updates"] = new JsonArray("bank_account_number"),
        ["source_account"] = UserAccount,
        ["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["account"] = UserAccount },
            ["receiver"] = new JsonObject { ["account"] = UserAccount },
        },
    };

    public static JsonObject Sep24DepositCreated() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "24",
        ["kind"] = "deposit",
        ["status"] = "incomplete",
        ["amount_expected"] = new JsonObject { ["asset"] = Usdc },
        ["started_at"] = "2024-06-25T20:33:17.013738Z",
        ["updated_at"] = "2024-06-25T20:33:17.013738Z",
        ["destination_account"] = UserAccount,
        ["client_domain"] = "wallet.example.com",
    };

    public static JsonObject Sep24DepositCompleted()
    {
        var transaction = Sep24DepositCreated();
        transaction["status"] = "completed";
        transaction["amount_expected"] = Amount("100");
        transaction["amount_in"] = Amount("100", "iso4217:USD");
        transaction["amount_out"] = Amount("95");
        transaction["amount_fee"] = Amount("5", "iso4217:USD");
        transaction["fee_details"] = new JsonObject { ["total"] = "5", ["asset"] = "iso4217:USD" };
        transaction["updated_at"] = "2024-06-25T21:00:00.123456789Z";
        transaction["completed_at"] = "2024-06-25T21:00:00.123456789Z";
        transaction["memo"] = "dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=";
        transaction["memo_type"] = "hash";
        transaction["stellar_transactions"] = new JsonArray(new JsonObject
        {
            ["id"] = "fba01a4bd3c7cd3c5a1d2c6e4e7e5b3c0fba01a4bd3c7cd3c5a1d2c6e4e7e5b3",
            ["memo"] = "dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=",
            ["memo_type"] = "hash",
            ["created_at"] = "2024-06-25T20:59:58Z",
            ["envelope"] = "AAAAAgAAAAD...",
            ["payments"] = new JsonArray(new JsonObject
            {
                ["id"] = "4609238642995201",
                ["amount"] = Amount("95.0000000", HorizonUsdc),
                ["payment_type"] = "payment",
                ["source_account"] = DistributionAccount,
                ["destination_account"] = UserAccount,
            }),
        });
        return transaction;
    }

    /// <summary>AP sets no destination_account on a SEP-24 withdrawal until the user has chosen one.</summary>
    public static JsonObject Sep24WithdrawalCreated() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "24",
        ["kind"] = "withdrawal",
        ["status"] = "incomplete",
        ["amount_expected"] = new JsonObject { ["asset"] = Usdc },
        ["started_at"] = "2024-06-25T20:33:17Z",
        ["updated_at"] = "2024-06-25T20:33:17Z",
        ["source_account"] = UserAccount,
        ["client_domain"] = "wallet.example.com",
        ["client_name"] = "Example Wallet",
    };

    public static JsonObject Sep24WithdrawalRefunded()
    {
        var transaction = Sep24WithdrawalCreated();
        transaction["status"] = "refunded";
        transaction["amount_expected"] = Amount("100");
        transaction["amount_in"] = Amount("100");
        transaction["amount_out"] = Amount("95", "iso4217:USD");
        transaction["amount_fee"] = Amount("5");
        transaction["destination_account"] = DistributionAccount;
        transaction["memo"] = "dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=";
        transaction["memo_type"] = "hash";
        transaction["updated_at"] = "2024-06-26T08:00:00.000Z";
        transaction["completed_at"] = "2024-06-26T08:00:00.000Z";
        transaction["refunds"] = new JsonObject
        {
            ["amount_refunded"] = Amount("100"),
            ["amount_fee"] = Amount("5"),
            ["payments"] = new JsonArray(new JsonObject
            {
                ["id"] = "123456",
                ["id_type"] = "stellar",
                ["amount"] = Amount("95"),
                ["fee"] = Amount("5"),
                ["requested_at"] = "2024-06-26T07:59:00Z",
                ["refunded_at"] = "2024-06-26T08:00:00Z",
            }),
        };
        return transaction;
    }

    public static JsonObject Sep24Error()
    {
        var transaction = Sep24WithdrawalCreated();
        transaction["status"] = "error";
        transaction["message"] = "unexpected platform error";
        return transaction;
    }

    /// <summary>SEP-31 amounts come from the plain Amount constructor: "amount_out": {} is real traffic.</summary>
    public static JsonObject Sep31Created() => new()
    {
        ["id"] = NewId(),
        ["sep"] = "31",
        ["kind"] = "receive",
        ["status"] = "pending_sender",
        ["amount_expected"] = Amount("10"),
        ["amount_in"] = Amount("10"),
        ["amount_out"] = new JsonObject(),
        ["amount_fee"] = Amount("0.3"),
        ["fee_details"] = new JsonObject { ["total"] = "0.3", ["asset"] = Usdc },
        ["started_at"] = "2024-06-25T20:33:17.013738Z",
        ["updated_at"] = "2024-06-25T20:33:17.013738Z",
        ["message"] = "waiting for the sender",
        ["client_name"] = "referenceCustodial",
        ["customers"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["id"] = "6c1770b0-0ea4-46f8-a4b6-5fb3e3a0b6f1" },
            ["receiver"] = new JsonObject { ["id"] = "31212353-f265-4dba-9eb4-0bbeda3ba7f2" },
        },
        ["creator"] = new JsonObject { ["account"] = UserAccount },
    };

    public static JsonObject Sep31PendingReceiver()
    {
        var transaction = Sep31Created();
        transaction["status"] = "pending_receiver";
        transaction["amount_fee"] = new JsonObject();
        transaction["updated_at"] = "2024-06-25T20:35:00.5Z";
        transaction["transfer_received_at"] = "2024-06-25T20:34:59Z";
        transaction["stellar_transactions"] = new JsonArray(new JsonObject
        {
            ["id"] = "2b862ac297c93e2db43fc58d407cc477396212bce5e6d5f61789f963d5a11300",
            ["memo"] = "OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=",
            ["memo_type"] = "hash",
            ["created_at"] = "2024-06-25T20:34:58Z",
            ["envelope"] = "AAAAAgAAAAB...",
            ["payments"] = new JsonArray(new JsonObject
            {
                ["id"] = "12884905985",
                ["amount"] = Amount("1.0000000", HorizonUsdc),
                ["payment_type"] = "payment",
                ["source_account"] = UserAccount,
                ["destination_account"] = DistributionAccount,
            }),
        });
        return transaction;
    }

    public static JsonObject QuoteCreated() => Envelope("quote_created", new JsonObject
    {
        ["quote"] = new JsonObject
        {
            ["id"] = NewId(),
            ["sell_amount"] = "102",
            ["sell_asset"] = "iso4217:USD",
            ["buy_amount"] = "100",
            ["buy_asset"] = Usdc,
            ["expires_at"] = "2024-06-25T21:33:17.013738Z",
            ["created_at"] = "2024-06-25T20:33:17.013738Z",
            ["price"] = "1.02",
            ["total_price"] = "1.02",
            ["creator"] = new JsonObject { ["account"] = UserAccount },
            ["fee"] = new JsonObject
            {
                ["total"] = "2",
                ["asset"] = "iso4217:USD",
                ["details"] = new JsonArray(new JsonObject { ["name"] = "Service fee", ["amount"] = "2" }),
            },
        },
    });

    /// <summary>Since AP 2.9 only the customer's id survives into the HTTP body.</summary>
    public static JsonObject CustomerUpdated() => Envelope("customer_updated", new JsonObject
    {
        ["customer"] = new JsonObject { ["id"] = "31212353-f265-4dba-9eb4-0bbeda3ba7f2" },
    });

    public static string NewId() => Guid.NewGuid().ToString();

    /// <summary>POSTs a body as AP does: Content-Type application/json; charset=utf-8.</summary>
    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, JsonNode body) =>
        client.PostEventAsync(body.ToJsonString());

    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, string body, string contentType = "application/json; charset=utf-8")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync("/event", content);
    }
}
