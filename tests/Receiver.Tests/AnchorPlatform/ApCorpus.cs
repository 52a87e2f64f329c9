using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>
/// Every event an AP line emits, written by us from AP's code: each SEP and kind end to end, every status, quotes,
/// customers, and the edge cases of issue 15. The members each SEP fills come from TransactionHelper@2.12.0
/// (<c>toGetTransactionResponse</c>) and TransactionMapper@3.1.4/@4.3.0, the statuses from SepTransactionStatus
/// (the same 20 at 2.12.0, 3.1.4 and 4.3.0).
/// </summary>
public static class ApCorpus
{
    // SEP-23's example strkeys: an account, the same account muxed, and a contract.
    public const string Account = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";
    public const string MuxedAccount = "MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAAJLK";
    public const string ContractAccount = "CA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQGAXE";
    public const string Distribution = ApEvents.DistributionAccount;
    public const string Usdc = ApEvents.Usdc;
    public const string Usd = "iso4217:USD";

    /// <summary>The largest <c>id</c> memo, 2^64-1: MemoHelper@4.3.0 prints a MemoId's unsigned 64-bit value.</summary>
    public const string LargestIdMemo = "18446744073709551615";

    /// <summary>
    /// What a wallet may type as an amount: Sep24Service@2.12.0/@3.1.4/@4.3.0 keep the request's string verbatim as
    /// amount_expected, and Java's <c>new BigDecimal(String)</c> (RequestValidator@2.12.0 for SEP-6) accepts all of these.
    /// </summary>
    public static readonly string[] TypedAmounts = ["1E+2", ".5", "10.", "+5", "1e-7"];

    /// <summary>SepTransactionStatus@2.12.0/@4.3.0; PATCH /transactions (TransactionService@4.3.0) sets any of them on any SEP.</summary>
    public static readonly string[] Statuses =
    [
        "incomplete", "pending_user_transfer_start", "pending_user_transfer_complete", "pending_external", "pending_anchor",
        "on_hold", "pending_stellar", "pending_trust", "pending_user", "pending_sender", "pending_receiver",
        "pending_transaction_info_update", "pending_customer_info_update", "completed", "refunded", "expired", "error",
        "no_market", "too_small", "too_large",
    ];

    public static IReadOnlyList<CorpusFlow> For(ApLine line) => new Builder(line).Build();

    private sealed class Builder(ApLine line)
    {
        private readonly List<CorpusFlow> _flows = [];
        private bool V2 => line == ApLine.V2;
        private bool V4 => line == ApLine.V4;

        public List<CorpusFlow> Build()
        {
            Sep24Deposit("sep24-deposit", Account, requestIp: "203.0.113.7");
            Sep24WithdrawalRefunded();
            Sep24Error();
            Sep6Deposit();
            Sep6DepositExchange();
            Sep6Withdrawal();
            Sep6WithdrawalExchangeExpired();
            Sep31Receive();
            Sep31Refunded();
            Sep31Error();
            foreach (var sep in new[] { "6", "24", "31" }) StatusTour(sep);
            foreach (var amount in TypedAmounts) TypedAmount(amount);
            Quote();
            Customers();
            if (!V2) AssetDelisted("24");
            if (V4) FourX();
            return _flows;
        }

        // ---- SEP-24 (TransactionHelper@2.12.0 / TransactionMapper@4.3.0: no type, no transfer_received_at;
        // customers and creator from the SEP-10 account only from 3.0)

        private Draft Sep24(string name, string kind, string user, string? requestIp = null)
        {
            var t = NewTransaction(name, "24", kind);
            t["amount_expected"] = Amount(null, Usdc);
            t[kind == "deposit" ? "destination_account" : "source_account"] = user;
            t["client_domain"] = "wallet.example.com";
            t["client_name"] = "Example Wallet";
            if (!V2)
            {
                t["customers"] = new JsonObject { ["sender"] = Stellar(user), ["receiver"] = Stellar(user) };
                t["creator"] = Stellar(user);
            }
            if (V4) t["request_client_ip_address"] = requestIp ?? "198.51.100.23";
            return t;
        }

        private void Sep24Deposit(string name, string user, string? requestIp = null, string paymentSource = Distribution,
            string paymentType = "payment")
        {
            var t = Sep24(name, "deposit", user, requestIp);
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                d["amount_expected"] = Amount("100", Usdc);
                Price(d, Amount("100", Usd), Amount("95", Usdc), "5", Usd);
                d["message"] = "waiting for your bank transfer";
            });
            t.Emit("transaction_status_changed", "pending_anchor", d => d["external_transaction_id"] = "bank-ref-77");
            t.Emit("transaction_status_changed", "pending_stellar");
            t.Emit("transaction_status_changed", "completed", d =>
            {
                d["stellar_transactions"] = StellarTransactions("95.0000000", paymentSource, user, paymentType, memo: null, memoType: null);
                d["completed_at"] = d["updated_at"]!.DeepClone();
                d["message"] = "deposit complete";
            });
        }

        private void Sep24WithdrawalRefunded()
        {
            var t = Sep24("sep24-withdrawal-refunded", "withdrawal", Account);
            t.Emit("transaction_created", "incomplete");
            var memo = V4 ? LargestIdMemo : "4201";
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                d["amount_expected"] = Amount("50", Usdc);
                Price(d, Amount("50", Usdc), Amount("49", Usd), "1", Usdc);
                d["destination_account"] = Distribution;
                d["withdraw_anchor_account"] = Distribution;
                d["memo"] = memo;
                d["memo_type"] = "id";
            });
            t.Emit("transaction_status_changed", "pending_anchor", d =>
                d["stellar_transactions"] = StellarTransactions("50.0000000", Account, Distribution, "payment", memo, "id"));
            EmitRefunded(t, 50, 1);
        }

        private void Sep24Error()
        {
            var t = Sep24("sep24-error", "withdrawal", Account);
            t.Emit("transaction_created", "incomplete");
            EmitError(t, "the anchor could not reach its bank");
        }

        // ---- SEP-6 (2.x: required_info_*, required_customer_info_*, instructions; 3.x+: fundingMethod = type, creator,
        // and none of the required_info_* or instructions, which TransactionMapper@3.1.4/@4.3.0 do not map)

        private Draft Sep6(string name, string kind, string type, string user, string? amountExpected, string expectedAsset)
        {
            var t = NewTransaction(name, "6", kind);
            if (!V2) t["fundingMethod"] = type;
            t["type"] = type;
            t["amount_expected"] = Amount(amountExpected, expectedAsset);
            t[kind.StartsWith("deposit") ? "destination_account" : "source_account"] = user;
            t["client_domain"] = "wallet.example.com";
            var customer = Stellar(user, memo: user.StartsWith('M') ? null : "7788");
            t["customers"] = new JsonObject { ["sender"] = customer, ["receiver"] = customer.DeepClone() };
            if (!V2) t["creator"] = customer.DeepClone();
            if (V4) t["request_client_ip_address"] = "2001:db8::17";
            return t;
        }

        private void Sep6Deposit(string name = "sep6-deposit", string user = Account)
        {
            var t = Sep6(name, "deposit", "SWIFT", user, "100", Usdc);
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_customer_info_update", d =>
            {
                d["message"] = "we need your bank details";
                if (V2)
                {
                    d["required_info_message"] = "we need your bank details";
                    d["required_info_updates"] = new JsonArray("bank_account_number", "bank_number");
                    d["required_customer_info_message"] = "we need your bank details";
                    d["required_customer_info_updates"] = new JsonArray("bank_account_number");
                }
            });
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                Price(d, Amount("100", Usd), Amount("98", Usdc), "2", Usd);
                d["fee_details"]!["details"] = new JsonArray(
                    new JsonObject { ["name"] = "Service fee", ["description"] = "Fixed service fee", ["amount"] = "1.5" },
                    new JsonObject { ["name"] = "Wire fee", ["amount"] = "0.5" });
                if (V2)
                {
                    d["required_info_message"] = null;
                    d["required_info_updates"] = null;
                    d["instructions"] = new JsonObject
                    {
                        ["organization.bank_number"] = new JsonObject { ["value"] = "121122676", ["description"] = "US bank routing number" },
                        ["organization.bank_account_number"] = new JsonObject { ["value"] = "13719713158835300", ["description"] = "US bank account number" },
                    };
                }
            });
            t.Emit("transaction_status_changed", "on_hold", d => d["message"] = "held for compliance review");
            t.Emit("transaction_status_changed", "pending_anchor", d =>
            {
                d["transfer_received_at"] = d["updated_at"]!.DeepClone();
                d["external_transaction_id"] = "wire-2025-10-01-0001";
            });
            t.Emit("transaction_status_changed", "pending_stellar");
            t.Emit("transaction_status_changed", "completed", d =>
            {
                d["stellar_transactions"] = StellarTransactions("98.0000000", Distribution, user, "payment", null, null);
                d["completed_at"] = d["updated_at"]!.DeepClone();
            });
        }

        private void Sep6DepositExchange()
        {
            var t = Sep6("sep6-deposit-exchange", "deposit-exchange", "SEPA", Account, "100", "iso4217:EUR");
            t["quote_id"] = Guid.NewGuid().ToString();
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                Price(d, Amount("100", "iso4217:EUR"), Amount("106.1", Usdc), "1.2", "iso4217:EUR");
            });
            t.Emit("transaction_status_changed", "pending_anchor", d => d["transfer_received_at"] = d["updated_at"]!.DeepClone());
            t.Emit("transaction_status_changed", "pending_trust", d => d["message"] = "add a USDC trustline");
            t.Emit("transaction_status_changed", "completed", d =>
            {
                d["stellar_transactions"] = StellarTransactions("106.1000000", Distribution, Account, "payment", null, null);
                d["completed_at"] = d["updated_at"]!.DeepClone();
            });
        }

        private void Sep6Withdrawal()
        {
            var t = Sep6("sep6-withdrawal", "withdrawal", "bank_account", Account, "250.50", Usdc);
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                Price(d, Amount("250.50", Usdc), Amount("245.50", Usd), "5", Usdc);
                d["destination_account"] = Distribution;
                d["withdraw_anchor_account"] = Distribution;
                d["memo"] = "wd-5512";
                d["memo_type"] = "text";
                d["refund_memo"] = "refund-5512";
                d["refund_memo_type"] = "text";
            });
            t.Emit("transaction_status_changed", "pending_anchor", d =>
            {
                d["stellar_transactions"] = StellarTransactions("250.5000000", Account, Distribution, "payment", "wd-5512", "text");
                d["transfer_received_at"] = d["updated_at"]!.DeepClone();
            });
            t.Emit("transaction_status_changed", "pending_external", d => d["external_transaction_id"] = "ach-8812");
            t.Emit("transaction_status_changed", "completed", d => d["completed_at"] = d["updated_at"]!.DeepClone());
        }

        private void Sep6WithdrawalExchangeExpired()
        {
            var t = Sep6("sep6-withdrawal-exchange-expired", "withdrawal-exchange", "SEPA", Account, "80", Usdc);
            t["quote_id"] = Guid.NewGuid().ToString();
            t["user_action_required_by"] = JavaInstant.Format(new DateTimeOffset(2025, 10, 2, 0, 0, 0, TimeSpan.Zero), 0);
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                Price(d, Amount("80", Usdc), Amount("73.6", "iso4217:EUR"), "0", Usdc);
                d["memo"] = "dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=";
                d["memo_type"] = "hash";
            });
            t.Emit("transaction_status_changed", "expired", d => d["message"] = "the quote expired");
        }

        // ---- SEP-31 (TransactionHelper@2.12.0/TransactionMapper@4.3.0: every amount from the plain constructor, so
        // {"asset": ...} or {}; customers by id; 3.x+ also source/destination, memo, refund_memo = memo, fundingMethod)

        /// <summary>Sep31Service@2.12.0 creates a SEP-31 transaction pending_sender, @3.1.4 and @4.3.0 pending_receiver.</summary>
        private string Sep31Start => V2 ? "pending_sender" : "pending_receiver";

        private Draft Sep31(string name)
        {
            var t = NewTransaction(name, "31", "receive");
            if (!V2) t["fundingMethod"] = "SWIFT";
            t["amount_expected"] = Amount("10", Usdc);
            t["amount_in"] = Amount("10", Usdc);
            t["amount_out"] = new JsonObject();
            if (V2) t["amount_fee"] = Amount("0.3", Usdc);
            t["fee_details"] = new JsonObject { ["total"] = "0.3", ["asset"] = Usdc };
            t["quote_id"] = Guid.NewGuid().ToString();
            t["client_domain"] = "sending-anchor.example.com";
            t["customers"] = new JsonObject
            {
                ["sender"] = new JsonObject { ["id"] = Guid.NewGuid().ToString() },
                ["receiver"] = new JsonObject { ["id"] = Guid.NewGuid().ToString() },
            };
            t["creator"] = Stellar(V4 ? ContractAccount : Account);
            if (!V2)
            {
                t["destination_account"] = Distribution;
                t["memo"] = "OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=";
                t["memo_type"] = "hash";
                t["refund_memo"] = "OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=";
                t["refund_memo_type"] = "hash";
            }
            if (V4) t["request_client_ip_address"] = "192.0.2.44";
            return t;
        }

        private void Sep31Receive()
        {
            var t = Sep31("sep31-receive");
            t.Emit("transaction_created", Sep31Start);
            if (!V2) t.Emit("transaction_status_changed", "pending_sender", d => d["message"] = "waiting for the sending anchor's payment");
            t.Emit("transaction_status_changed", "pending_receiver", d =>
            {
                d["transfer_received_at"] = d["updated_at"]!.DeepClone();
                d["amount_out"] = Amount("9.7", Usd);
                if (V2) d["amount_fee"] = new JsonObject();
                d["stellar_transactions"] = StellarTransactions("10.0000000", Account, Distribution, "payment",
                    V2 ? null : "OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=", V2 ? null : "hash");
            });
            t.Emit("transaction_status_changed", "pending_transaction_info_update", d =>
            {
                d["message"] = "the receiver's bank account number is not valid";
                if (V4)
                {
                    // After 4.3.0 (issue 15): the values the sender submitted and the metadata of what must change.
                    d["fields"] = new JsonObject
                    {
                        ["receiver_bank_account"] = "DE89370400440532013000",
                        ["receiver_routing_number"] = "37040044",
                        ["receiver_full_name"] = "Jürgen Müller",
                    };
                    d["requiredInfoUpdatesFields"] = new JsonObject
                    {
                        ["receiver_bank_account"] = new JsonObject
                        {
                            ["description"] = "IBAN of the receiver",
                            ["choices"] = new JsonArray("IBAN"),
                            ["optional"] = false,
                        },
                        ["receiver_routing_number"] = new JsonObject { ["description"] = "Receiver Routing Number", ["optional"] = true },
                    };
                }
            });
            t.Emit("transaction_status_changed", "pending_receiver", d =>
            {
                d["message"] = null;
                d["requiredInfoUpdatesFields"] = null;
            });
            t.Emit("transaction_status_changed", "pending_external", d => d["external_transaction_id"] = "swift-MT103-991");
            t.Emit("transaction_status_changed", "completed", d => d["completed_at"] = d["updated_at"]!.DeepClone());
        }

        private void Sep31Refunded()
        {
            var t = Sep31("sep31-refunded");
            t.Emit("transaction_created", Sep31Start);
            t.Emit("transaction_status_changed", "pending_receiver", d => d["transfer_received_at"] = d["updated_at"]!.DeepClone());
            EmitRefunded(t, 10, 0);
        }

        /// <summary>
        /// One Stellar refund of <paramref name="amount"/> less <paramref name="fee"/>, as TransactionMapper@4.3.0
        /// (TransactionHelper@2.12.0) toRefunds/toRefundPayment build it: id_type stellar, the amount_in asset, no dates.
        /// </summary>
        private static void EmitRefunded(Draft t, decimal amount, decimal fee) =>
            t.Emit("transaction_status_changed", "refunded", d =>
            {
                d["refunds"] = new JsonObject
                {
                    ["amount_refunded"] = Amount($"{amount}", Usdc),
                    ["amount_fee"] = Amount($"{fee}", Usdc),
                    ["payments"] = new JsonArray(new JsonObject
                    {
                        ["id"] = TransactionHash(),
                        ["id_type"] = "stellar",
                        ["amount"] = Amount($"{amount - fee}", Usdc),
                        ["fee"] = Amount($"{fee}", Usdc),
                    }),
                };
                d["completed_at"] = d["updated_at"]!.DeepClone();
            });

        /// <summary>2.x still has <c>transaction_error</c> (AnchorEvent@2.12.0); from 3.0 an error is a status change.</summary>
        private void EmitError(Draft t, string message) =>
            t.Emit(line.HasTransactionError ? "transaction_error" : "transaction_status_changed", "error", d => d["message"] = message);

        private void Sep31Error()
        {
            var t = Sep31("sep31-error");
            t.Emit("transaction_created", Sep31Start);
            EmitError(t, "receiving bank rejected the transfer");
        }

        /// <summary>One transaction of each SEP through all 20 statuses, as PATCH /transactions allows.</summary>
        private void StatusTour(string sep)
        {
            var t = sep switch
            {
                "6" => Sep6("sep6-status-tour", "deposit", "SWIFT", Account, "1", Usdc),
                "24" => Sep24("sep24-status-tour", "deposit", Account),
                _ => Sep31("sep31-status-tour"),
            };
            t.Emit("transaction_created", sep == "31" ? Sep31Start : "incomplete");
            foreach (var status in Statuses) t.Emit("transaction_status_changed", status);
        }

        /// <summary>A wallet's amount as typed, in amount_expected and then in the amounts the anchor confirms.</summary>
        private void TypedAmount(string amount)
        {
            var sep24 = Sep24($"sep24-typed-amount {amount}", "deposit", Account);
            sep24["amount_expected"] = Amount(amount, Usdc);
            sep24.Emit("transaction_created", "incomplete");
            sep24.Emit("transaction_status_changed", "pending_user_transfer_start", d =>
            {
                d["amount_in"] = Amount(amount, Usd);
                d["amount_out"] = Amount(amount, Usdc);
            });

            var sep6 = Sep6($"sep6-typed-amount {amount}", "withdrawal", "bank_account", Account, amount, Usdc);
            sep6.Emit("transaction_created", "incomplete");
            sep6.Emit("transaction_status_changed", "pending_user_transfer_start", d => d["amount_in"] = Amount(amount, Usdc));
        }

        /// <summary>
        /// TransactionMapper@3.1.4 (SEP-24) and @4.3.0 (SEP-6 and SEP-24) leave amount_expected out once the asset has left
        /// AP's asset configuration (makeAsset answers null); 3.1.4's SEP-6 makeAsset throws instead.
        /// </summary>
        private void AssetDelisted(string sep)
        {
            var t = sep == "24"
                ? Sep24($"sep{sep}-asset-delisted", "deposit", Account)
                : Sep6($"sep{sep}-asset-delisted", "deposit", "SWIFT", Account, "20", Usdc);
            t.Emit("transaction_created", "incomplete");
            t.Emit("transaction_status_changed", "pending_anchor", d => d["amount_expected"] = null);
            t.Emit("transaction_status_changed", "error", d => d["message"] = "asset no longer supported");
        }

        /// <summary>4.x: SEP-45 contract accounts, muxed accounts kept, the largest id memo, request_client_ip_address.</summary>
        private void FourX()
        {
            AssetDelisted("6");
            // A SEP-45 (contract) wallet: customers, creator and destination are its C... address, and the token
            // contract's transfer is an INVOKE_HOST_FUNCTION, which PaymentHelper@4.3.0 calls path_payment.
            Sep24Deposit("sep24-deposit-contract-account", ContractAccount, paymentSource: ContractAccount, paymentType: "path_payment");
            Sep24Deposit("sep24-deposit-muxed-account", MuxedAccount,
                // Client-controlled text of any length (the request logger's client address): stored, never trusted.
                requestIp: "203.0.113.9, <script>alert('x')</script> \"; DROP TABLE events; -- " + new string('9', 4000));
            Sep6Deposit("sep6-deposit-muxed-account", MuxedAccount);

            var contractPayment = Sep24("sep24-withdrawal-token-contract", "withdrawal", ContractAccount);
            contractPayment.Emit("transaction_created", "incomplete");
            contractPayment.Emit("transaction_status_changed", "pending_anchor", d =>
            {
                d["amount_expected"] = Amount("12", Usdc);
                d["amount_in"] = Amount("12", Usdc);
                d["memo"] = LargestIdMemo;
                d["memo_type"] = "id";
                d["stellar_transactions"] = StellarTransactions("12.0000000", ContractAccount, MuxedAccount, "path_payment", LargestIdMemo, "id");
            });
        }

        // ---- quotes (Sep38Service@4.3.0 fills the event's quote field by field; creator has the account only)

        private void Quote()
        {
            var id = Guid.NewGuid().ToString();
            var flow = NewFlow("quote", "quote", id);
            var quote = new Dictionary<string, JsonNode?>
            {
                ["id"] = id,
                ["sell_amount"] = "102",
                ["sell_asset"] = Usd,
                ["sell_delivery_method"] = V2 ? null : "SEPA",
                ["buy_amount"] = "100",
                ["buy_asset"] = Usdc,
                ["expires_at"] = JavaInstant.Format(new DateTimeOffset(2025, 10, 1, 13, 0, 0, TimeSpan.Zero), 13_738_000),
                ["price"] = "1.02",
                ["total_price"] = "1.02",
                ["creator"] = new JsonObject { ["account"] = V4 ? ContractAccount : Account },
                ["created_at"] = JavaInstant.Format(new DateTimeOffset(2025, 10, 1, 12, 0, 0, TimeSpan.Zero), V2 ? 13_738_000 : 13_738_251),
                ["fee"] = new JsonObject
                {
                    ["total"] = "2.00",
                    ["asset"] = Usd,
                    ["details"] = new JsonArray(new JsonObject { ["name"] = "Service fee", ["amount"] = "2" }),
                },
            };
            flow.Add("quote_created", ApLine.Ordered(line.QuoteMembers, quote));
        }

        // ---- customers (SendEventRequestPayload@2.12.0/@4.3.0: only the id survives; Sep12Service PUT /customer and the
        // notify_customer_info_updated RPC both publish it)

        private void Customers()
        {
            var id = Guid.NewGuid().ToString();
            var flow = NewFlow("customer", "customer", id);
            for (var update = 0; update < 3; update++) flow.Add("customer_updated", new JsonObject { ["id"] = id });
        }

        // ---- building blocks

        private Draft NewTransaction(string name, string sep, string kind)
        {
            var id = Guid.NewGuid().ToString();
            var draft = new Draft(line, NewFlow(name, "transaction", id), _flows.Count);
            draft["id"] = id;
            draft["sep"] = sep;
            draft["kind"] = kind;
            return draft;
        }

        private CorpusFlow NewFlow(string name, string subject, string id)
        {
            var flow = new CorpusFlow($"{line.Name} {name}", subject, id);
            _flows.Add(flow);
            return flow;
        }

        /// <summary>AP's Amount: <c>new Amount(amount, asset)</c> leaves out a null amount (Amount@2.12.0/@4.3.0).</summary>
        private static JsonObject Amount(string? amount, string? asset)
        {
            var result = new JsonObject();
            if (amount is not null) result["amount"] = amount;
            if (asset is not null) result["asset"] = asset;
            return result;
        }

        /// <summary>StellarId@4.3.0: {id, account, memo}.</summary>
        private static JsonObject Stellar(string account, string? memo = null)
        {
            var result = new JsonObject { ["account"] = account };
            if (memo is not null) result["memo"] = memo;
            return result;
        }

        /// <summary>
        /// What the anchor's quote or rate sets: amounts in and out and the fee, which 2.x also sends as amount_fee
        /// beside fee_details (PlatformTransactionData@2.12.0; amount_fee is gone at 3.1.4).
        /// </summary>
        private void Price(Draft d, JsonObject amountIn, JsonObject amountOut, string fee, string feeAsset)
        {
            d["amount_in"] = amountIn;
            d["amount_out"] = amountOut;
            if (V2) d["amount_fee"] = Amount(fee, feeAsset);
            d["fee_details"] = new JsonObject { ["total"] = fee, ["asset"] = feeAsset };
        }

        /// <summary>A Stellar transaction hash: 64 lower-case hex digits.</summary>
        private static string TransactionHash() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

        /// <summary>
        /// StellarTransaction/StellarPayment@4.3.0 as PaymentHelper@4.3.0 fills them: the transaction's own memo, the
        /// amount from the ledger's 7 decimals, the asset in SEP-11 (Horizon) form.
        /// </summary>
        private static JsonArray StellarTransactions(string amount, string from, string to, string paymentType, string? memo, string? memoType)
        {
            var transaction = new JsonObject { ["id"] = TransactionHash() };
            if (memo is not null) transaction["memo"] = memo;
            if (memoType is not null) transaction["memo_type"] = memoType;
            transaction["created_at"] = JavaInstant.Format(new DateTimeOffset(2025, 10, 1, 12, 30, 0, TimeSpan.Zero), 0);
            transaction["envelope"] = "AAAAAgAAAADBPp7TMinJylnn+6dQXJACNc15LF+aJ2Py1BaR4P10JAAAAGQAAAAAAAAAAQAAAAA=";
            transaction["payments"] = new JsonArray(new JsonObject
            {
                ["id"] = "4609238642995201",
                ["amount"] = new JsonObject { ["amount"] = amount, ["asset"] = ApEvents.HorizonUsdc },
                ["payment_type"] = paymentType,
                ["source_account"] = from,
                ["destination_account"] = to,
            });
            return new JsonArray(transaction);
        }
    }

    /// <summary>
    /// A transaction as AP holds it between events: each <see cref="Emit"/> stamps <c>updated_at</c> as
    /// RpcTransactionStatusHandler@4.3.0 does (<c>Instant.now()</c>) and publishes the snapshot.
    /// </summary>
    private sealed class Draft(ApLine line, CorpusFlow flow, int flowNumber)
    {
        private readonly Dictionary<string, JsonNode?> _members = new();
        private readonly DateTimeOffset _started = new DateTimeOffset(2025, 10, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(flowNumber);
        private int _step;

        public JsonNode? this[string name]
        {
            get => _members.GetValueOrDefault(name);
            set => _members[name] = value;
        }

        public void Emit(string type, string status, Action<Draft>? change = null)
        {
            if (_step == 0) _members["started_at"] = Instant(0);
            _members["status"] = status;
            _members["updated_at"] = Instant(_step);
            change?.Invoke(this);
            flow.Add(type, ApLine.Ordered(line.TransactionMembers, _members));
            _step++;
        }

        /// <summary>
        /// The time of a step. JDK 17 gives nanoseconds (AP 3.x and 4.x run on it), so the fraction takes 0, 3, 6 or
        /// 9 digits; half of the sub-microsecond parts are 500 ns or more, which PostgreSQL rounds up.
        /// </summary>
        private string Instant(int step)
        {
            long nanos = (step % 4) switch
            {
                0 => 13_738_000,
                1 => line == ApLine.V2 ? 118_000_000 : 118_000_751,
                2 => 0,
                _ => line == ApLine.V2 ? 999_999_000 : 999_999_999,
            };
            return JavaInstant.Format(_started.AddSeconds(7 * step), nanos);
        }
    }
}
