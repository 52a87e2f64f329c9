using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Receiver.Ingest.Validation;

/// <summary>
/// A typed window on one value of the parsed body. Views copy nothing: validation and storage read the
/// same <see cref="JsonDocument"/> the body was parsed into once.
/// </summary>
public interface IJsonValue
{
    JsonElement Element { get; }
}

/// <inheritdoc cref="IJsonValue"/>
public interface IJsonView<out TSelf> : IJsonValue where TSelf : IJsonView<TSelf>
{
    static abstract TSelf Wrap(JsonElement element);
}

internal static class JsonElementExtensions
{
    /// <summary>The named member, or an undefined element when this is not an object or lacks it.</summary>
    public static JsonElement Field(this JsonElement element, ReadOnlySpan<byte> utf8Name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(utf8Name, out var value) ? value : default;

    /// <summary>AP (Gson) omits null fields; an explicit null counts as absent too.</summary>
    public static bool IsPresent(this JsonElement element) =>
        element.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);

    public static string? AsString(this JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    /// <summary>Whether this is the JSON string <paramref name="text"/>; false for any other kind of value.</summary>
    public static bool IsString(this JsonElement element, string text) =>
        element.ValueKind == JsonValueKind.String && element.ValueEquals(text);

    /// <summary>Room for the short strings rules check (ids, enums, amounts, dates) without allocating.</summary>
    public const int ShortText = 128;

    /// <summary>
    /// A string value's characters, decoded into <paramref name="buffer"/> when it fits and carries no escape (the
    /// raw UTF-8 between the quotes is then the text: IncomingEvent.Parse parses only valid UTF-8), else read as a new
    /// string. For rules, which check every short string of every event: <see cref="JsonElement.GetString"/> would
    /// allocate each. Like it, throws for a value that is not a string.
    /// </summary>
    public static ReadOnlySpan<char> Text(this JsonElement element, Span<char> buffer)
    {
        if (element.ValueKind != JsonValueKind.String) return element.GetString();
        var quoted = JsonMarshal.GetRawUtf8Value(element);
        var raw = quoted[1..^1];
        return raw.Length <= buffer.Length && !raw.Contains((byte)'\\') && Encoding.UTF8.TryGetChars(raw, buffer, out var length)
            ? buffer[..length]
            : element.GetString();
    }
}

/// <summary>An array whose items are read as <typeparamref name="T"/> (<see cref="JsonRules.EachValidatedBy{T,TItem}(FluentValidation.IRuleBuilder{T,JsonArrayView{TItem}},FluentValidation.IValidator{TItem})"/>).</summary>
public readonly record struct JsonArrayView<T>(JsonElement Element) : IJsonValue where T : IJsonView<T>;

/// <summary>A JSON object used as a map (e.g. SEP-6 <c>instructions</c>), whose values are read as <typeparamref name="T"/>.</summary>
public readonly record struct JsonMapView<T>(JsonElement Element) : IJsonValue where T : IJsonView<T>;

/// <summary>Any single value, for arrays of scalars.</summary>
public readonly record struct JsonValueView(JsonElement Element) : IJsonView<JsonValueView>
{
    public static JsonValueView Wrap(JsonElement element) => new(element);
}

public readonly record struct EventView(JsonElement Element) : IJsonView<EventView>
{
    public static EventView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Type => Element.Field("type"u8);
    public JsonElement Timestamp => Element.Field("timestamp"u8);
    public PayloadView Payload => new(Element.Field("payload"u8));
}

public readonly record struct PayloadView(JsonElement Element) : IJsonView<PayloadView>
{
    public static PayloadView Wrap(JsonElement element) => new(element);
    public TransactionView Transaction => new(Element.Field("transaction"u8));
    public QuoteView Quote => new(Element.Field("quote"u8));
    public CustomerView Customer => new(Element.Field("customer"u8));
}

/// <summary>AP's <c>PlatformTransactionData</c> as it travels in <c>payload.transaction</c>.</summary>
public readonly record struct TransactionView(JsonElement Element) : IJsonView<TransactionView>
{
    public static TransactionView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Sep => Element.Field("sep"u8);
    public JsonElement Kind => Element.Field("kind"u8);
    public JsonElement Status => Element.Field("status"u8);
    public JsonElement Type => Element.Field("type"u8);
    public AmountView AmountExpected => new(Element.Field("amount_expected"u8));
    public AmountView AmountIn => new(Element.Field("amount_in"u8));
    public AmountView AmountOut => new(Element.Field("amount_out"u8));
    public AmountView AmountFee => new(Element.Field("amount_fee"u8));
    public FeeDetailsView FeeDetails => new(Element.Field("fee_details"u8));
    public JsonElement QuoteId => Element.Field("quote_id"u8);
    public JsonElement StartedAt => Element.Field("started_at"u8);
    public JsonElement UpdatedAt => Element.Field("updated_at"u8);
    public JsonElement CompletedAt => Element.Field("completed_at"u8);
    public JsonElement UserActionRequiredBy => Element.Field("user_action_required_by"u8);
    public JsonElement TransferReceivedAt => Element.Field("transfer_received_at"u8);
    public JsonElement Message => Element.Field("message"u8);
    public RefundsView Refunds => new(Element.Field("refunds"u8));
    public JsonArrayView<StellarTransactionView> StellarTransactions => new(Element.Field("stellar_transactions"u8));
    public JsonElement SourceAccount => Element.Field("source_account"u8);
    public JsonElement DestinationAccount => Element.Field("destination_account"u8);
    public JsonElement ExternalTransactionId => Element.Field("external_transaction_id"u8);
    public JsonElement Memo => Element.Field("memo"u8);
    public JsonElement MemoType => Element.Field("memo_type"u8);
    public JsonElement RefundMemo => Element.Field("refund_memo"u8);
    public JsonElement RefundMemoType => Element.Field("refund_memo_type"u8);
    public JsonElement ClientDomain => Element.Field("client_domain"u8);
    public JsonElement ClientName => Element.Field("client_name"u8);
    public CustomersView Customers => new(Element.Field("customers"u8));
    public StellarIdView Creator => new(Element.Field("creator"u8));
    public JsonElement RequiredInfoMessage => Element.Field("required_info_message"u8);
    public JsonArrayView<JsonValueView> RequiredInfoUpdates => new(Element.Field("required_info_updates"u8));
    public JsonElement RequiredCustomerInfoMessage => Element.Field("required_customer_info_message"u8);
    public JsonArrayView<JsonValueView> RequiredCustomerInfoUpdates => new(Element.Field("required_customer_info_updates"u8));
    public JsonMapView<InstructionView> Instructions => new(Element.Field("instructions"u8));
}

public readonly record struct AmountView(JsonElement Element) : IJsonView<AmountView>
{
    public static AmountView Wrap(JsonElement element) => new(element);
    public JsonElement Amount => Element.Field("amount"u8);
    public JsonElement Asset => Element.Field("asset"u8);
}

public readonly record struct FeeDetailsView(JsonElement Element) : IJsonView<FeeDetailsView>
{
    public static FeeDetailsView Wrap(JsonElement element) => new(element);
    public JsonElement Total => Element.Field("total"u8);
    public JsonElement Asset => Element.Field("asset"u8);
    public JsonArrayView<FeeDescriptionView> Details => new(Element.Field("details"u8));
}

public readonly record struct FeeDescriptionView(JsonElement Element) : IJsonView<FeeDescriptionView>
{
    public static FeeDescriptionView Wrap(JsonElement element) => new(element);
    public JsonElement Name => Element.Field("name"u8);
    public JsonElement Description => Element.Field("description"u8);
    public JsonElement Amount => Element.Field("amount"u8);
}

public readonly record struct RefundsView(JsonElement Element) : IJsonView<RefundsView>
{
    public static RefundsView Wrap(JsonElement element) => new(element);
    public AmountView AmountRefunded => new(Element.Field("amount_refunded"u8));
    public AmountView AmountFee => new(Element.Field("amount_fee"u8));
    public JsonArrayView<RefundPaymentView> Payments => new(Element.Field("payments"u8));
}

public readonly record struct RefundPaymentView(JsonElement Element) : IJsonView<RefundPaymentView>
{
    public static RefundPaymentView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement IdType => Element.Field("id_type"u8);
    public AmountView Amount => new(Element.Field("amount"u8));
    public AmountView Fee => new(Element.Field("fee"u8));
    public JsonElement RequestedAt => Element.Field("requested_at"u8);
    public JsonElement RefundedAt => Element.Field("refunded_at"u8);
}

public readonly record struct StellarTransactionView(JsonElement Element) : IJsonView<StellarTransactionView>
{
    public static StellarTransactionView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Memo => Element.Field("memo"u8);
    public JsonElement MemoType => Element.Field("memo_type"u8);
    public JsonElement CreatedAt => Element.Field("created_at"u8);
    public JsonElement Envelope => Element.Field("envelope"u8);
    public JsonArrayView<StellarPaymentView> Payments => new(Element.Field("payments"u8));
}

public readonly record struct StellarPaymentView(JsonElement Element) : IJsonView<StellarPaymentView>
{
    public static StellarPaymentView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public AmountView Amount => new(Element.Field("amount"u8));
    public JsonElement PaymentType => Element.Field("payment_type"u8);
    public JsonElement SourceAccount => Element.Field("source_account"u8);
    public JsonElement DestinationAccount => Element.Field("destination_account"u8);
}

public readonly record struct CustomersView(JsonElement Element) : IJsonView<CustomersView>
{
    public static CustomersView Wrap(JsonElement element) => new(element);
    public StellarIdView Sender => new(Element.Field("sender"u8));
    public StellarIdView Receiver => new(Element.Field("receiver"u8));
}

public readonly record struct StellarIdView(JsonElement Element) : IJsonView<StellarIdView>
{
    public static StellarIdView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Account => Element.Field("account"u8);
    public JsonElement Memo => Element.Field("memo"u8);
}

public readonly record struct InstructionView(JsonElement Element) : IJsonView<InstructionView>
{
    public static InstructionView Wrap(JsonElement element) => new(element);
    public JsonElement Value => Element.Field("value"u8);
    public JsonElement Description => Element.Field("description"u8);
}

public readonly record struct QuoteView(JsonElement Element) : IJsonView<QuoteView>
{
    public static QuoteView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement SellAmount => Element.Field("sell_amount"u8);
    public JsonElement SellAsset => Element.Field("sell_asset"u8);
    public JsonElement BuyAmount => Element.Field("buy_amount"u8);
    public JsonElement BuyAsset => Element.Field("buy_asset"u8);
    public JsonElement ExpiresAt => Element.Field("expires_at"u8);
    public JsonElement CreatedAt => Element.Field("created_at"u8);
    public JsonElement Price => Element.Field("price"u8);
    public JsonElement TotalPrice => Element.Field("total_price"u8);
    public StellarIdView Creator => new(Element.Field("creator"u8));
    public JsonElement TransactionId => Element.Field("transaction_id"u8);
    public FeeDetailsView Fee => new(Element.Field("fee"u8));
}

public readonly record struct CustomerView(JsonElement Element) : IJsonView<CustomerView>
{
    public static CustomerView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
}
