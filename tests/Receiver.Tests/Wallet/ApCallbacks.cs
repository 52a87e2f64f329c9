using System.Text.Json;

namespace Receiver.Tests.Wallet;

/// <summary>
/// One status callback as AP posts it to a wallet (a client in AP's <c>clients</c> configuration), and what it carries.
/// SEP-24, SEP-6 and SEP-31 bodies are <c>{"transaction":{...}}</c>; a SEP-12 body is the customer object itself. None
/// of them carries an event id or an event type, and only the 2.x/3.x SEP-6 body has <c>updated_at</c>.
/// </summary>
/// <param name="Sep">"6", "24", "31" or "12".</param>
/// <param name="TransactionId"><c>transaction.id</c>; null for SEP-12.</param>
/// <param name="Status">The transaction's SEP status, or the SEP-12 customer status (<c>ACCEPTED</c>...), when present.</param>
/// <param name="UpdatedAt"><c>transaction.updated_at</c>: only AP 2.x/3.x SEP-6 bodies have it.</param>
/// <param name="CustomerId">The SEP-12 customer's <c>id</c>; null for transactions.</param>
public sealed record ApCallback(string Name, string Sep, string Body, string? TransactionId, string? Status, string? UpdatedAt, string? CustomerId = null);

/// <summary>
/// Callback bodies byte for byte as AP's <c>ClientStatusCallbackHandler</c> writes them (docs/anchor-platform.md,
/// "Callbacks to wallets"): Gson (<c>GsonUtils</c>: HTML escaping off, nulls omitted, Instants as ISO-8601 UTC with
/// 0, 3, 6 or 9 fraction digits), compact, members in Java declaration order with a subclass's members before its base
/// class's. Names without a suffix are the 4.x shapes (read at AP 4.3.0, unchanged since 4.0.0); <c>@3.1.4</c> and
/// <c>@2.x</c> (2.10.2, 2.11.3 and 2.12.0 are identical here) mark shapes only those lines send. Paths are in
/// stellar/anchor-platform at the tag named. Values are made up; member sets, order and formats are AP's. There is no
/// SEP-24 refund body: AP fails to build those callbacks and drops them.
/// </summary>
public static class ApCallbacks
{
    public const string Usdc = "stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5";
    public const string UserAccount = "GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO";
    public const string DistributionAccount = "GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF";

    /// <summary>Every shape, by name, for theories.</summary>
    public static readonly IReadOnlyDictionary<string, Func<string>> All = new Dictionary<string, Func<string>>
    {
        ["sep24-deposit-incomplete"] = () => Sep24DepositIncomplete,
        ["sep24-deposit-pending-user-transfer-start"] = () => Sep24DepositPendingUserTransferStart,
        ["sep24-deposit-completed"] = () => Sep24DepositCompleted,
        ["sep24-withdrawal-pending-user-transfer-start"] = () => Sep24WithdrawalPendingUserTransferStart,
        ["sep24-withdrawal-completed"] = () => Sep24WithdrawalCompleted,
        ["sep24-withdrawal-error"] = () => Sep24WithdrawalError,
        ["sep24-deposit-completed@2.x"] = () => Sep24DepositCompleted2x,
        ["sep6-deposit-pending-customer-info-update"] = () => Sep6DepositPendingCustomerInfoUpdate,
        ["sep6-deposit-pending-user-transfer-start"] = () => Sep6DepositPendingUserTransferStart,
        ["sep6-deposit-pending-anchor"] = () => Sep6DepositPendingAnchor,
        ["sep6-deposit-exchange-pending-anchor"] = () => Sep6DepositExchangePendingAnchor,
        ["sep6-withdrawal-pending-user-transfer-start"] = () => Sep6WithdrawalPendingUserTransferStart,
        ["sep6-withdrawal-completed"] = () => Sep6WithdrawalCompleted,
        ["sep6-withdrawal-refunded"] = () => Sep6WithdrawalRefunded,
        ["sep6-withdrawal-pending-user-transfer-start@3.1.4"] = () => Sep6WithdrawalPendingUserTransferStart314,
        ["sep6-deposit-pending-customer-info-update@2.x"] = () => Sep6DepositPendingCustomerInfoUpdate2x,
        ["sep31-pending-receiver"] = () => Sep31PendingReceiver,
        ["sep31-pending-customer-info-update"] = () => Sep31PendingCustomerInfoUpdate,
        ["sep31-completed"] = () => Sep31Completed,
        ["sep31-refunded"] = () => Sep31Refunded,
        ["sep31-pending-receiver@3.1.4"] = () => Sep31PendingReceiver314,
        ["sep31-pending-sender@2.x"] = () => Sep31PendingSender2x,
        ["sep12-customer-id-only"] = () => Sep12CustomerIdOnly,
        ["sep12-customer-accepted"] = () => Sep12CustomerAccepted,
        ["sep12-customer-needs-info"] = () => Sep12CustomerNeedsInfo,
        ["sep12-customer-rejected"] = () => Sep12CustomerRejected,
    };

    /// <summary>The SEP each named shape belongs to (the URL AP posts it to is that SEP's <c>callback_urls</c> entry).</summary>
    public static readonly IReadOnlyDictionary<string, string> SepOfName = new Dictionary<string, string>
    {
        ["sep24-deposit-incomplete"] = "24",
        ["sep24-deposit-pending-user-transfer-start"] = "24",
        ["sep24-deposit-completed"] = "24",
        ["sep24-withdrawal-pending-user-transfer-start"] = "24",
        ["sep24-withdrawal-completed"] = "24",
        ["sep24-withdrawal-error"] = "24",
        ["sep24-deposit-completed@2.x"] = "24",
        ["sep6-deposit-pending-customer-info-update"] = "6",
        ["sep6-deposit-pending-user-transfer-start"] = "6",
        ["sep6-deposit-pending-anchor"] = "6",
        ["sep6-deposit-exchange-pending-anchor"] = "6",
        ["sep6-withdrawal-pending-user-transfer-start"] = "6",
        ["sep6-withdrawal-completed"] = "6",
        ["sep6-withdrawal-refunded"] = "6",
        ["sep6-withdrawal-pending-user-transfer-start@3.1.4"] = "6",
        ["sep6-deposit-pending-customer-info-update@2.x"] = "6",
        ["sep31-pending-receiver"] = "31",
        ["sep31-pending-customer-info-update"] = "31",
        ["sep31-completed"] = "31",
        ["sep31-refunded"] = "31",
        ["sep31-pending-receiver@3.1.4"] = "31",
        ["sep31-pending-sender@2.x"] = "31",
        ["sep12-customer-id-only"] = "12",
        ["sep12-customer-accepted"] = "12",
        ["sep12-customer-needs-info"] = "12",
        ["sep12-customer-rejected"] = "12",
    };

    public static ApCallback Get(string name) => Describe(name, All[name](), SepOfName[name]);

    /// <summary>Reads what a body carries; <paramref name="sep"/> defaults to <see cref="SepOf"/>'s guess.</summary>
    public static ApCallback Describe(string name, string body, string? sep = null)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        sep ??= SepOf(body);
        if (root.TryGetProperty("transaction", out var transaction))
            return new ApCallback(name, sep, body, String(transaction, "id"), String(transaction, "status"), String(transaction, "updated_at"));
        return new ApCallback(name, sep, body, null, String(root, "status"), null, String(root, "id"));
    }

    /// <summary>
    /// Which SEP a body belongs to, from its shape alone. AP posts each SEP to its own URL, which is the reliable
    /// answer; this is for a body seen without its URL. No <c>transaction</c>: SEP-12. No <c>kind</c>: SEP-31.
    /// A <c>-exchange</c> kind, or no <c>refunded</c> member: SEP-6 (SEP-24's response class always writes
    /// <c>refunded</c>, SEP-6's has no such member).
    /// </summary>
    public static string SepOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("transaction", out var transaction)) return "12";
        var kind = String(transaction, "kind");
        if (kind is null) return "31";
        if (kind.EndsWith("-exchange", StringComparison.Ordinal)) return "6";
        return transaction.TryGetProperty("refunded", out _) ? "24" : "6";
    }

    /// <summary>
    /// The host AP signs (<c>NetUtil.getDomainFromURL</c>: <c>java.net.URL</c>'s host as written, case kept, plus
    /// <c>:port</c> when the URL names a port, even the scheme's default). Read from the string, because
    /// <see cref="Uri"/> lower-cases the host and hides an explicit default port.
    /// </summary>
    public static string HostOf(string callbackUrl)
    {
        var start = callbackUrl.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = callbackUrl.IndexOfAny(['/', '?', '#'], start);
        var authority = end < 0 ? callbackUrl[start..] : callbackUrl[start..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var colon = authority.LastIndexOf(':');
        if (colon < 0 || colon < authority.LastIndexOf(']')) return authority;
        return colon == authority.Length - 1 ? authority[..colon] : authority;
    }

    /// <summary>The text AP signs with its SEP-10 key: <c>&lt;t&gt;.&lt;host&gt;.&lt;body&gt;</c>, t in Unix seconds.</summary>
    public static string SignedText(long unixSeconds, string host, string body) => $"{unixSeconds}.{host}.{body}";

    /// <summary>The <c>Signature</c> header's value: <c>t=&lt;t&gt;, s=&lt;standard base64 of the 64-byte Ed25519 signature&gt;</c>.</summary>
    public static string SignatureHeader(long unixSeconds, byte[] signature) => $"t={unixSeconds}, s={Convert.ToBase64String(signature)}";

    /// <summary>
    /// The bytes AP signs when its JVM's default charset is US-ASCII (JDK 17 without a UTF-8 locale, as in AP's own
    /// image): <c>String.getBytes()</c> writes each character outside ASCII, a surrogate pair counting as one, as '?'.
    /// With a UTF-8 default they are the UTF-8 bytes of <see cref="SignedText"/>.
    /// </summary>
    public static byte[] AsciiSigned(string signedText)
    {
        var bytes = new List<byte>(signedText.Length);
        for (var i = 0; i < signedText.Length; i++)
        {
            var c = signedText[i];
            if (char.IsHighSurrogate(c) && i + 1 < signedText.Length && char.IsLowSurrogate(signedText[i + 1])) i++;
            bytes.Add(c < 0x80 ? (byte)c : (byte)'?');
        }
        return [.. bytes];
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // AP@4.3.0: platform/src/main/java/org/stellar/anchor/platform/event/ClientStatusCallbackHandler.java (getPayload,
    // fromSep24Txn); core/src/main/java/org/stellar/anchor/sep24/Sep24Helper.java,
    // api-schema/src/main/java/org/stellar/anchor/api/sep/sep24/TransactionResponse.java. The first callback, on
    // transaction_created. Subclass members (deposit_memo...) come first in Gson's order, then the base class's;
    // "refunded":false is always there (a field initialiser survives Sep24Helper's Gson round trip). No updated_at,
    // user_action_required_by, stellar_transaction_id or claimable_balance_id at any tag. started_at has nine digits
    // here: this event carries the in-memory Instant.now(); later ones carry the value read back from the database,
    // rounded to six.
    public const string Sep24DepositIncomplete = """
        {"transaction":{"id":"4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71","kind":"deposit","status":"incomplete","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI0YzBmNDZhMS03ZDhlLTRmM2ItOWI4ZS0yZjZkM2MxYTllNzEiLCJleHAiOjE3MTkzNDgxOTcsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.m3QJ0cB2xq9yq2m0bYt8kq1F0M3b0d5m0c3K4eJt1Bs","started_at":"2024-06-25T20:33:17.013738412Z","refunded":false,"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}
        """;

    // AP@4.3.0: as above. Amounts are the strings the anchor gave AP (amount_in, amount_in_asset in SEP-38 form);
    // fee_details is FeeDetails (total, asset, details?). more_info_url's token is made up here: AP signs a fresh JWT
    // (jti = transaction id, exp = now + 600 s by default) on every attempt, so retried bodies differ.
    public const string Sep24DepositPendingUserTransferStart = """
        {"transaction":{"id":"4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71","kind":"deposit","status":"pending_user_transfer_start","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI0YzBmNDZhMS03ZDhlLTRmM2ItOWI4ZS0yZjZkM2MxYTllNzEiLCJleHAiOjE3MTkzNDg0MTQsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.Yw1kq0Fq7rXJ3mQmI1t2lH0vV3s8m2q0c4Pq1dE5x8A","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"95","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"5","asset":"iso4217:USD"},"started_at":"2024-06-25T20:33:17.013738Z","message":"waiting on the user to transfer funds","refunded":false,"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}
        """;

    // AP@4.3.0: as above, with deposit_memo/deposit_memo_type from the event's memo, fee_details.details,
    // completed_at. stellar_transaction_id is absent although the event has stellar_transactions: fromSep24Txn does
    // not copy it.
    public const string Sep24DepositCompleted = """
        {"transaction":{"deposit_memo":"dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=","deposit_memo_type":"hash","id":"4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71","kind":"deposit","status":"completed","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI0YzBmNDZhMS03ZDhlLTRmM2ItOWI4ZS0yZjZkM2MxYTllNzEiLCJleHAiOjE3MTkzNDk4MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.Q2p6m8Jt0wQ1cX9yB4n7uR2kL5sD8fH3gJ6kZ1xC0vM","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"95","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"5","asset":"iso4217:USD","details":[{"name":"Service fee","description":"Fixed service fee","amount":"4.5"},{"name":"Network fee","amount":"0.5"}]},"started_at":"2024-06-25T20:33:17.013738Z","completed_at":"2024-06-25T21:00:00.123456Z","external_transaction_id":"ACH-20240625-000123","message":"deposit completed","refunded":false,"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}
        """;

    // AP@4.3.0: WithdrawTransactionResponse: withdraw_memo, withdraw_memo_type first; withdraw_anchor_account is never
    // set on this path (the wallet must read it from GET /transaction); quote_id is copied from 4.0.0 on (absent in
    // 3.x).
    public const string Sep24WithdrawalPendingUserTransferStart = """
        {"transaction":{"withdraw_memo":"OWIyZTVkN2MtMWEzZi00ZTZiLThjMGQtNWY3YTli","withdraw_memo_type":"hash","id":"9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d","kind":"withdrawal","status":"pending_user_transfer_start","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI5YjJlNWQ3Yy0xYTNmLTRlNmItOGMwZC01ZjdhOWIxYzNlMmQiLCJleHAiOjE3MTk4MjIwMDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.bX4tN2kP8qR1sT5uV7wY0zA3cE6gI9jL2mO4pQ7rS1t","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"245.50","amount_out_asset":"iso4217:USD","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"quote_id":"de762cda-a193-4961-861e-57b31fed6eb3","started_at":"2024-07-01T09:00:00.000001Z","refunded":false,"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF"}}
        """;

    // AP@4.3.0: as above; from = source_account, to = destination_account of the event.
    public const string Sep24WithdrawalCompleted = """
        {"transaction":{"withdraw_memo":"OWIyZTVkN2MtMWEzZi00ZTZiLThjMGQtNWY3YTli","withdraw_memo_type":"hash","id":"9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d","kind":"withdrawal","status":"completed","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI5YjJlNWQ3Yy0xYTNmLTRlNmItOGMwZC01ZjdhOWIxYzNlMmQiLCJleHAiOjE3MTk4MjM1MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.cY5uO3lQ9rS2tU6vW8xZ1aB4dF7hJ0kM3nP5qR8sT2u","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"245.50","amount_out_asset":"iso4217:USD","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"quote_id":"de762cda-a193-4961-861e-57b31fed6eb3","started_at":"2024-07-01T09:00:00.000001Z","completed_at":"2024-07-01T09:15:42.500Z","external_transaction_id":"wire-7781","refunded":false,"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF"}}
        """;

    // AP@4.3.0: status error with the anchor's free-text message. Non-ASCII text: AP signs String.getBytes() in the
    // JVM's default charset, which is US-ASCII in AP's image (JDK 17, no LANG), so each non-ASCII character is signed
    // as '?' while the body is sent in UTF-8 (see AsciiSigned).
    public const string Sep24WithdrawalError = """
        {"transaction":{"id":"9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d","kind":"withdrawal","status":"error","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=9b2e5d7c-1a3f-4e6b-8c0d-5f7a9b1c3e2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI5YjJlNWQ3Yy0xYTNmLTRlNmItOGMwZC01ZjdhOWIxYzNlMmQiLCJleHAiOjE3MTk4MjI3MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.dZ6vP4mR0sT3uV7wX9yA2bC5eG8iK1lN4oQ6rS9tU3v","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","started_at":"2024-07-01T09:00:00.000001Z","message":"bank rejected the account: «IBAN invalide»","refunded":false,"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}
        """;

    // AP@2.10.2 (= 2.11.3 = 2.12.0):
    // platform/src/main/java/org/stellar/anchor/platform/event/ClientStatusCallbackHandler.java;
    // core/src/main/java/org/stellar/anchor/sep24/Sep24Helper.java,
    // api-schema/src/main/java/org/stellar/anchor/api/sep/sep24/TransactionResponse.java. 2.x has amount_fee and
    // amount_fee_asset and no fee_details: the entity's fee list is serialised under "fee_details", which Gson cannot
    // read into the response's object, so with a details list the callback fails and is dropped (fixed in 3.0.4,
    // #1694); without details, fee_details is simply absent.
    public const string Sep24DepositCompleted2x = """
        {"transaction":{"deposit_memo":"dGhpcyBpcyBhIGhhc2ggbWVtbyBvZiAzMiBieXRlcyE=","deposit_memo_type":"hash","id":"4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71","kind":"deposit","status":"completed","more_info_url":"https://anchor.example.com/sep24/transaction/more_info?transaction_id=4c0f46a1-7d8e-4f3b-9b8e-2f6d3c1a9e71&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI0YzBmNDZhMS03ZDhlLTRmM2ItOWI4ZS0yZjZkM2MxYTllNzEiLCJleHAiOjE3MTkzNDk4MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.Q2p6m8Jt0wQ1cX9yB4n7uR2kL5sD8fH3gJ6kZ1xC0vM","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"95","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_fee":"5","amount_fee_asset":"iso4217:USD","started_at":"2024-06-25T20:33:17.013738Z","completed_at":"2024-06-25T21:00:00.123456Z","external_transaction_id":"ACH-20240625-000123","message":"deposit completed","refunded":false,"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}
        """;

    // AP@4.3.0: platform/src/main/java/org/stellar/anchor/platform/event/ClientStatusCallbackHandler.java
    // (fromSep6Txn); core/src/main/java/org/stellar/anchor/sep6/Sep6TransactionUtils.java,
    // api-schema/src/main/java/org/stellar/anchor/api/sep/sep6/Sep6TransactionResponse.java;
    // api-schema/src/main/java/org/stellar/anchor/api/sep/sep6/Sep6GetTransactionResponse.java. Built from the event
    // (since 4.0.0): no updated_at, status_eta, user_action_required_by, withdraw_anchor_account. Dates are
    // Instant.toString() strings (same ISO form as Gson's). required_info_updates is a list of field names.
    public const string Sep6DepositPendingCustomerInfoUpdate = """
        {"transaction":{"id":"b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f","kind":"deposit","status":"pending_customer_info_update","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJiM2YxYzBkZS0yYTRiLTRjNmQtOGUwZi0xYTJiM2M0ZDVlNmYiLCJleHAiOjE3MTkzNDgxOTcsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.eA7wQ5nS1tU4vW8xY0zB3cD6fH9jL2mO5pR7sT0uV4w","to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","started_at":"2024-06-25T20:33:17.013738Z","message":"need more KYC","required_info_message":"We need your bank details","required_info_updates":["bank_account_number","bank_number"]}}
        """;

    // AP@4.3.0: as above, with instructions (map of name to {value, description}); the values are bank details.
    public const string Sep6DepositPendingUserTransferStart = """
        {"transaction":{"id":"b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f","kind":"deposit","status":"pending_user_transfer_start","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJiM2YxYzBkZS0yYTRiLTRjNmQtOGUwZi0xYTJiM2M0ZDVlNmYiLCJleHAiOjE3MTkzNDg4MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.fB8xR6oT2uV5wX9yZ1aC4dE7gI0kM3nP6qS8tU1vW5x","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"98","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"2","asset":"iso4217:USD"},"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","started_at":"2024-06-25T20:33:17.013738Z","message":"send the funds to the account below","instructions":{"organization.bank_number":{"value":"121122676","description":"US bank routing number"},"organization.bank_account_number":{"value":"13719713158835300","description":"US bank account number"}}}}
        """;

    // AP@4.3.0: as above.
    public const string Sep6DepositPendingAnchor = """
        {"transaction":{"id":"b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f","kind":"deposit","status":"pending_anchor","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJiM2YxYzBkZS0yYTRiLTRjNmQtOGUwZi0xYTJiM2M0ZDVlNmYiLCJleHAiOjE3MTkzNDk0MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.gC9yS7pU3vW6xY0zA2bD5eF8hJ1lN4oQ7rT9uV2wX6y","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"98","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"2","asset":"iso4217:USD"},"to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","started_at":"2024-06-25T20:33:17.013738Z","external_transaction_id":"ACH-20240625-000456","message":"funds received"}}
        """;

    // AP@4.3.0: kind deposit-exchange, quote_id, fee_details with details (amounts verbatim: "2.00").
    public const string Sep6DepositExchangePendingAnchor = """
        {"transaction":{"id":"e4d3c2b1-a0f9-4e8d-b7c6-5a4b3c2d1e0f","kind":"deposit-exchange","status":"pending_anchor","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=e4d3c2b1-a0f9-4e8d-b7c6-5a4b3c2d1e0f&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJlNGQzYzJiMS1hMGY5LTRlOGQtYjdjNi01YTRiM2MyZDFlMGYiLCJleHAiOjE3MTkzNDk0MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.hD0zT8qV4wX7yZ1aB3cE6fG9iK2mO5pR8sU0vW3xY7z","amount_in":"100","amount_in_asset":"iso4217:USD","amount_out":"97.5","amount_out_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"2.00","asset":"iso4217:USD","details":[{"name":"Service fee","description":"Fixed service fee","amount":"1.5"},{"name":"ACH fee","amount":"0.5"}]},"quote_id":"5d6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c","to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","started_at":"2024-06-25T20:33:17.013738Z","external_transaction_id":"ext-123456","message":"funds received"}}
        """;

    // AP@4.3.0: withdraw_memo/withdraw_memo_type; withdraw_anchor_account absent on this path (compare the @3.1.4
    // body).
    public const string Sep6WithdrawalPendingUserTransferStart = """
        {"transaction":{"id":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","kind":"withdrawal","status":"pending_user_transfer_start","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI3YTZiNWM0ZC0zZTJmLTRhMWItOWM4ZC03ZTZmNWE0YjNjMmQiLCJleHAiOjE3MTk4MjIwMDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.iE1aU9rW5xY8zA2bC4dF7gH0jL3nP6qS9tV1wX4yZ8a","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"245.50","amount_out_asset":"iso4217:USD","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","withdraw_memo":"12345","withdraw_memo_type":"id","started_at":"2024-07-01T09:00:00.000001Z"}}
        """;

    // AP@4.3.0: stellar_transaction_id is the id of the event's first stellar_transactions entry.
    public const string Sep6WithdrawalCompleted = """
        {"transaction":{"id":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","kind":"withdrawal","status":"completed","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI3YTZiNWM0ZC0zZTJmLTRhMWItOWM4ZC03ZTZmNWE0YjNjMmQiLCJleHAiOjE3MTk4MjM1MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.jF2bV0sX6yZ9aB3cD5eG8hI1kM4oQ7rT0uW2xY5zA9b","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"245.50","amount_out_asset":"iso4217:USD","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","withdraw_memo":"12345","withdraw_memo_type":"id","started_at":"2024-07-01T09:00:00.000001Z","completed_at":"2024-07-01T09:30:12.250Z","stellar_transaction_id":"fba01a4bd3c7cd3c5a1d2c6e4e7e5b3c0fba01a4bd3c7cd3c5a1d2c6e4e7e5b3","external_transaction_id":"wire-9912","message":"payout sent"}}
        """;

    // AP@4.3.0: refunds uses the Platform API's shape, amounts as {amount, asset} objects, not the strings SEP-6
    // specifies; payments carry id, id_type, amount, fee (requested_at/refunded_at are dropped).
    // api-schema/src/main/java/org/stellar/anchor/api/shared/Refunds.java.
    public const string Sep6WithdrawalRefunded = """
        {"transaction":{"id":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","kind":"withdrawal","status":"refunded","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI3YTZiNWM0ZC0zZTJmLTRhMWItOWM4ZC03ZTZmNWE0YjNjMmQiLCJleHAiOjE3MTk5MDg0MDAsImNsaWVudF9kb21haW4iOiJ3YWxsZXQuZXhhbXBsZS5jb20iLCJjbGllbnRfbmFtZSI6ImV4YW1wbGUtd2FsbGV0IiwiZGF0YSI6e319.kG3cW1tY7zA0bC4dE6fH9iJ2lN5pR8sU1vX3yZ6aB0c","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","withdraw_memo":"12345","withdraw_memo_type":"id","started_at":"2024-07-01T09:00:00.000001Z","completed_at":"2024-07-02T08:00:00Z","stellar_transaction_id":"2b862ac297c93e2db43fc58d407cc477396212bce5e6d5f61789f963d5a11300","message":"refunded: beneficiary bank closed","refunds":{"amount_refunded":{"amount":"250.50","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"amount_fee":{"amount":"0","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"payments":[{"id":"c5a1b7f0e2d94c8ba6e3f1d0c9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0","id_type":"stellar","amount":{"amount":"250.50","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"fee":{"amount":"0","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"}}]}}}
        """;

    // AP@3.1.4 (and 2.x): the SEP-6 body is read from AP's database at send time
    // (Sep6TransactionStore.findByTransactionId), not from the event: it has updated_at, user_action_required_by,
    // withdraw_anchor_account, and the current status, which may be newer than the event's. The more_info_url token
    // then also names the user's account (sub).
    public const string Sep6WithdrawalPendingUserTransferStart314 = """
        {"transaction":{"id":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","kind":"withdrawal","status":"pending_user_transfer_start","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI3YTZiNWM0ZC0zZTJmLTRhMWItOWM4ZC03ZTZmNWE0YjNjMmQiLCJleHAiOjE3MTk4MjIwMDAsInN1YiI6IkdCTEdKQTRUVU41WE9HVFY2V08yQldZVUkyT1pSNUdZUTVQRFBDUk1RNVhFUEpPWVdCMlg0Q0pPIiwiY2xpZW50X2RvbWFpbiI6IndhbGxldC5leGFtcGxlLmNvbSIsImNsaWVudF9uYW1lIjoiZXhhbXBsZS13YWxsZXQiLCJkYXRhIjp7fX0.lH4dX2uZ8aB1cD5eF7gI0jK3mO6qS9tV2wY4zA7bC1d","amount_in":"250.50","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"245.50","amount_out_asset":"iso4217:USD","fee_details":{"total":"5","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"from":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","to":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","withdraw_anchor_account":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","withdraw_memo":"12345","withdraw_memo_type":"id","started_at":"2024-07-01T09:00:00.000001Z","updated_at":"2024-07-01T09:05:00.000001Z","user_action_required_by":"2024-07-02T09:00:00Z"}}
        """;

    // AP@2.10.2 (= 2.12.0): read from the database as in 3.x, plus amount_fee/amount_fee_asset and the deprecated
    // required_customer_info_message/required_customer_info_updates (removed in 3.0).
    public const string Sep6DepositPendingCustomerInfoUpdate2x = """
        {"transaction":{"id":"b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f","kind":"deposit","status":"pending_customer_info_update","more_info_url":"https://anchor.example.com/sep6/transaction/more_info?transaction_id=b3f1c0de-2a4b-4c6d-8e0f-1a2b3c4d5e6f&token=eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJiM2YxYzBkZS0yYTRiLTRjNmQtOGUwZi0xYTJiM2M0ZDVlNmYiLCJleHAiOjE3MTkzNDgxOTcsInN1YiI6IkdCTEdKQTRUVU41WE9HVFY2V08yQldZVUkyT1pSNUdZUTVQRFBDUk1RNVhFUEpPWVdCMlg0Q0pPIiwiY2xpZW50X2RvbWFpbiI6IndhbGxldC5leGFtcGxlLmNvbSIsImNsaWVudF9uYW1lIjoiZXhhbXBsZS13YWxsZXQiLCJkYXRhIjp7fX0.mI5eY3vA9bC2dE6fG8hJ1kL4nP7rT0uW3xZ5aB8cD2e","to":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","started_at":"2024-06-25T20:33:17.013738Z","updated_at":"2024-06-25T20:34:02.5Z","message":"need more KYC","required_info_message":"We need your bank details","required_info_updates":["bank_account_number","bank_number"],"required_customer_info_message":"We need your bank details","required_customer_info_updates":["bank_account_number","bank_number"]}}
        """;

    // AP@4.3.0: platform/src/main/java/org/stellar/anchor/platform/event/ClientStatusCallbackHandler.java
    // (fromSep31Txn); core/src/main/java/org/stellar/anchor/sep31/Sep31Transaction.java
    // (toSep31GetTransactionResponse),
    // api-schema/src/main/java/org/stellar/anchor/api/sep/sep31/Sep31GetTransactionResponse.java. No kind.
    // stellar_account_id = the event's destination_account (4.0.0 on), stellar_memo(_type) = memo(_type). An amount
    // the event has as {} or {asset} loses its amount member: amount_out_asset can come without amount_out. 3.x and
    // 4.x start SEP-31 at pending_receiver.
    public const string Sep31PendingReceiver = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"pending_receiver","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out_asset":"iso4217:BRL","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"quote_id":"0f1e2d3c-4b5a-4968-8776-655443322110","stellar_account_id":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z"}}
        """;

    // AP@4.3.0: required_info_message is the event's message (fromSep31Txn copies message there);
    // required_info_updates, status_eta, user_action_required_by, stellar_transaction_id and refunded are never set.
    public const string Sep31PendingCustomerInfoUpdate = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"pending_customer_info_update","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out_asset":"iso4217:BRL","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"quote_id":"0f1e2d3c-4b5a-4968-8776-655443322110","stellar_account_id":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z","required_info_message":"receiver's tax id is missing"}}
        """;

    // AP@4.3.0: as above, with amount_out, completed_at, external_transaction_id.
    public const string Sep31Completed = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"completed","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out":"51.62","amount_out_asset":"iso4217:BRL","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","details":[{"name":"Transfer fee","amount":"0.3"}]},"quote_id":"0f1e2d3c-4b5a-4968-8776-655443322110","stellar_account_id":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z","completed_at":"2024-06-25T20:41:03.800Z","external_transaction_id":"PIX-E1234567820240625204103","required_info_message":"paid out"}}
        """;

    // AP@4.3.0: refunds {amount_refunded, amount_fee, payments[{id, amount, fee}]} with plain strings; no refunded
    // member.
    public const string Sep31Refunded = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"refunded","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out_asset":"iso4217:BRL","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"quote_id":"0f1e2d3c-4b5a-4968-8776-655443322110","stellar_account_id":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF","stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z","completed_at":"2024-06-26T10:00:00Z","refunds":{"amount_refunded":"10","amount_fee":"0","payments":[{"id":"3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817061f0e","amount":"10","fee":"0"}]},"required_info_message":"receiver could not be paid"}}
        """;

    // AP@3.1.4: fromSep31Txn copies neither destination_account nor quote_id: no stellar_account_id, no quote_id.
    public const string Sep31PendingReceiver314 = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"pending_receiver","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out_asset":"iso4217:BRL","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z"}}
        """;

    // AP@2.10.2 (= 2.12.0): amount_fee, then fee_details, quote_id, then amount_fee_asset (declaration order of
    // Sep31GetTransactionResponse.TransactionResponse in 2.x); new SEP-31 transactions start at pending_sender.
    public const string Sep31PendingSender2x = """
        {"transaction":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","status":"pending_sender","amount_in":"10","amount_in_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","amount_out_asset":"iso4217:BRL","amount_fee":"0.3","fee_details":{"total":"0.3","asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},"amount_fee_asset":"stellar:USDC:GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5","stellar_memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","stellar_memo_type":"hash","started_at":"2024-06-25T20:33:17.013738Z","required_info_message":"waiting for the sender"}}
        """;

    // AP@3.1.4 and AP@4.3.0: core/src/main/java/org/stellar/anchor/sep12/Sep12Service.java (putCustomer) publishes the
    // business server's PUT /customer response as it is, mapped to Sep12GetCustomerResponse: a business server that
    // answers {"id"} (all AP 2.x's model of that answer holds) gives the wallet this. The body is the customer object
    // itself, not wrapped. api-schema/src/main/java/org/stellar/anchor/api/sep/sep12/Sep12GetCustomerResponse.java,
    // api-schema/src/main/java/org/stellar/anchor/api/callback/GetCustomerResponse.java (to).
    public const string Sep12CustomerIdOnly = """
        {"id":"d1ce2f48-3ff1-495d-9240-7a50d806cfed"}
        """;

    // AP@4.3.0: platform/src/main/java/org/stellar/anchor/platform/rpc/NotifyCustomerInfoUpdatedHandler.java publishes
    // the business server's GET /customer answer (also what 2.x publishes after PUT /customer). Members: id, status,
    // fields, provided_fields, message; field entries: type, description, choices, optional (+ status, error when
    // provided).
    public const string Sep12CustomerAccepted = """
        {"id":"d1ce2f48-3ff1-495d-9240-7a50d806cfed","status":"ACCEPTED","provided_fields":{"first_name":{"type":"string","description":"The customer's first name","optional":false,"status":"ACCEPTED"},"last_name":{"type":"string","description":"The customer's last name","optional":false,"status":"ACCEPTED"},"email_address":{"type":"string","description":"The customer's email address","optional":true,"status":"ACCEPTED"}}}
        """;

    // AP@4.3.0: as above; a type outside string/binary/number/date, or a status outside AP's enums, is dropped by
    // Gson.
    public const string Sep12CustomerNeedsInfo = """
        {"id":"d1ce2f48-3ff1-495d-9240-7a50d806cfed","status":"NEEDS_INFO","fields":{"bank_account_number":{"type":"string","description":"Bank account number of the customer","optional":false},"id_type":{"type":"string","description":"Government issued ID","choices":["Passport","Drivers License","State ID"],"optional":false}},"provided_fields":{"first_name":{"type":"string","description":"The customer's first name","optional":false,"status":"ACCEPTED"},"photo_id_front":{"type":"binary","description":"Image of the front of the customer's ID","optional":false,"status":"REJECTED","error":"The picture is blurry"}}}
        """;

    // AP@4.3.0: as above.
    public const string Sep12CustomerRejected = """
        {"id":"d1ce2f48-3ff1-495d-9240-7a50d806cfed","status":"REJECTED","message":"This person is on a sanctions list"}
        """;
}
