using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>
/// One release line of the Anchor Platform: what its transaction looks like on the wire and how it posts. Each fact
/// names the AP file and tag it was read from (stellar/anchor-platform); the events themselves are written in
/// <see cref="ApCorpus"/>.
/// </summary>
public sealed class ApLine
{
    /// <summary>2.10 through 2.12: the api-schema is the same at 2.10.2 and 2.12.0 (no change under api-schema/).</summary>
    public static readonly ApLine V2 = new(
        "2.x", "2.12.0", keepsBaseUrlPath: false, apiKeyInConfiguredHeader: true,
        // PlatformTransactionData@2.12.0: fields in declaration order, which is Gson's order; GetTransactionResponse
        // adds nothing. amount_fee and required_customer_info_* are still there.
        transactionMembers:
        [
            "id", "sep", "kind", "status", "type", "amount_expected", "amount_in", "amount_out", "amount_fee", "fee_details",
            "quote_id", "started_at", "updated_at", "completed_at", "user_action_required_by", "transfer_received_at",
            "message", "refunds", "stellar_transactions", "source_account", "destination_account", "external_transaction_id",
            "memo", "memo_type", "refund_memo", "refund_memo_type", "withdraw_anchor_account", "client_domain", "client_name",
            "customers", "creator", "required_info_message", "required_info_updates", "required_customer_info_message",
            "required_customer_info_updates", "instructions",
        ],
        // GetQuoteResponse@2.12.0: no delivery methods yet.
        quoteMembers:
        [
            "id", "sell_amount", "sell_asset", "buy_amount", "buy_asset", "expires_at", "price", "total_price", "creator",
            "transaction_id", "created_at", "fee",
        ],
        // AnchorEvent.Type@2.12.0 still defines TRANSACTION_ERROR; SendEventRequestPayload@2.12.0 passes its transaction on.
        hasTransactionError: true);

    /// <summary>3.0 through 3.1.4.</summary>
    public static readonly ApLine V3 = new(
        "3.x", "3.1.4", keepsBaseUrlPath: true, apiKeyInConfiguredHeader: false,
        // GetTransactionResponse@3.1.4 adds fundingMethod, with no @SerializedName, so camelCase; Gson writes a class's
        // own fields before its superclass's (ReflectiveTypeAdapterFactory walks from the class up), so it comes first.
        // PlatformTransactionData@3.1.4 drops amount_fee and required_customer_info_*.
        transactionMembers:
        [
            "fundingMethod",
            "id", "sep", "kind", "status", "type", "amount_expected", "amount_in", "amount_out", "fee_details",
            "quote_id", "started_at", "updated_at", "completed_at", "user_action_required_by", "transfer_received_at",
            "message", "refunds", "stellar_transactions", "source_account", "destination_account", "external_transaction_id",
            "memo", "memo_type", "refund_memo", "refund_memo_type", "withdraw_anchor_account", "client_domain", "client_name",
            "customers", "creator", "required_info_message", "required_info_updates", "instructions",
        ],
        // GetQuoteResponse@3.1.4 adds sell_delivery_method and buy_delivery_method after each asset.
        quoteMembers:
        [
            "id", "sell_amount", "sell_asset", "sell_delivery_method", "buy_amount", "buy_asset", "buy_delivery_method",
            "expires_at", "price", "total_price", "creator", "transaction_id", "created_at", "fee",
        ],
        // AnchorEvent.Type@3.0.0 and @3.1.4: TRANSACTION_ERROR is gone.
        hasTransactionError: false);

    /// <summary>4.0 through 4.3.0, and the members GetTransactionResponse gains after 4.3.0.</summary>
    public static readonly ApLine V4 = new(
        "4.x", "4.3.0", keepsBaseUrlPath: true, apiKeyInConfiguredHeader: false,
        // PlatformTransactionData@4.3.0 adds request_client_ip_address before instructions. After 4.3.0 (issue 15; not
        // in the mirror's tags) GetTransactionResponse adds a SEP-31 `fields` map and `requiredInfoUpdatesFields`
        // (name -> AssetInfo.Field {description, choices, optional}), both camelCase and, as subclass fields, first.
        transactionMembers:
        [
            "fundingMethod", "fields", "requiredInfoUpdatesFields",
            "id", "sep", "kind", "status", "type", "amount_expected", "amount_in", "amount_out", "fee_details",
            "quote_id", "started_at", "updated_at", "completed_at", "user_action_required_by", "transfer_received_at",
            "message", "refunds", "stellar_transactions", "source_account", "destination_account", "external_transaction_id",
            "memo", "memo_type", "refund_memo", "refund_memo_type", "withdraw_anchor_account", "client_domain", "client_name",
            "customers", "creator", "required_info_message", "required_info_updates", "request_client_ip_address",
            "instructions",
        ],
        quoteMembers: V3.QuoteMembers,
        hasTransactionError: false);

    public static readonly IReadOnlyList<ApLine> All = [V2, V3, V4];

    private ApLine(
        string name, string tag, bool keepsBaseUrlPath, bool apiKeyInConfiguredHeader, string[] transactionMembers,
        IReadOnlyList<string> quoteMembers, bool hasTransactionError)
    {
        Name = name;
        Tag = tag;
        KeepsBaseUrlPath = keepsBaseUrlPath;
        ApiKeyInConfiguredHeader = apiKeyInConfiguredHeader;
        TransactionMembers = transactionMembers;
        QuoteMembers = quoteMembers;
        HasTransactionError = hasTransactionError;
    }

    public string Name { get; }

    /// <summary>The tag of stellar/anchor-platform the line's facts were read at.</summary>
    public string Tag { get; }

    /// <summary>
    /// CallbackApiClient@2.12.0 builds a new URL from scheme, host and port plus the segment <c>event</c>;
    /// CallbackApiClient@3.1.4 and @4.3.0 add the segment to the whole base URL.
    /// </summary>
    public bool KeepsBaseUrlPath { get; }

    /// <summary>
    /// AuthHelper@2.12.0 puts the API key in <c>callback_api.auth.api_key.http_header</c>; AuthHelper@3.1.4 and @4.3.0
    /// <c>forApiKey(header, key)</c> drop the header and always use <c>X-Api-Key</c>.
    /// </summary>
    public bool ApiKeyInConfiguredHeader { get; }

    /// <summary>The transaction's members in the order Gson writes them.</summary>
    public IReadOnlyList<string> TransactionMembers { get; }

    public IReadOnlyList<string> QuoteMembers { get; }

    public bool HasTransactionError { get; }

    public override string ToString() => Name;

    /// <summary>
    /// The path and query this line posts to for <c>callback_api.base_url</c>, as OkHttp's HttpUrl builds it: 3.x+ keep
    /// path and query, and <c>addPathSegment</c> fills the empty last segment a trailing '/' leaves rather than adding one.
    /// </summary>
    public string EventPath(string baseUrl)
    {
        if (!KeepsBaseUrlPath) return "/event";
        var url = new Uri(baseUrl);
        var path = url.AbsolutePath.EndsWith('/') ? url.AbsolutePath + "event" : url.AbsolutePath + "/event";
        return path + url.Query;
    }

    /// <summary>The header AP puts the API key in, given the configured one.</summary>
    public string ApiKeyHeader(string configured) => ApiKeyInConfiguredHeader ? configured : "X-Api-Key";

    /// <summary>
    /// Gson as GsonUtils@2.12.0/@3.1.4/@4.3.0 builds it: nulls left out (no serializeNulls), HTML escaping off,
    /// members in declaration order. With the relaxed encoder System.Text.Json escapes what Gson's JsonWriter does:
    /// quote, backslash, control characters, U+2028 and U+2029; '&lt;', '&amp;', '\'' and non-ASCII text stay as they are.
    /// </summary>
    public static readonly JsonSerializerOptions Gson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An object of the given members in this order, leaving out absent ones, as Gson does with nulls.</summary>
    public static JsonObject Ordered(IReadOnlyList<string> order, IReadOnlyDictionary<string, JsonNode?> members)
    {
        var unknown = members.Keys.Where(name => members[name] is not null && !order.Contains(name)).ToList();
        if (unknown.Count > 0) throw new InvalidOperationException($"not a member here: {string.Join(", ", unknown)}");
        var result = new JsonObject();
        foreach (var name in order)
            if (members.TryGetValue(name, out var value) && value is not null) result[name] = value.DeepClone();
        return result;
    }
}
