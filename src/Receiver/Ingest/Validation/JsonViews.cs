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
    public static JsonElement Field(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

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
    public JsonElement Id => Element.Field("id");
    public JsonElement Type => Element.Field("type");
    public JsonElement Timestamp => Element.Field("timestamp");
    public PayloadView Payload => new(Element.Field("payload"));
}

public readonly record struct PayloadView(JsonElement Element) : IJsonView<PayloadView>
{
    public static PayloadView Wrap(JsonElement element) => new(element);
    public TransactionView Transaction => new(Element.Field("transaction"));
    public QuoteView Quote => new(Element.Field("quote"));
    public CustomerView Customer => new(Element.Field("customer"));
}

/// <summary>AP's <c>PlatformTransactionData</c> as it travels in <c>payload.transaction</c>.</summary>
public readonly record struct TransactionView(JsonElement Element) : IJsonView<TransactionView>
{
    public static TransactionView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public JsonElement Sep => Element.Field("sep");
    public JsonElement Kind => Element.Field("kind");
    public JsonElement Status => Element.Field("status");
    public JsonElement Type => Element.Field("type");
    public AmountView AmountExpected => new(Element.Field("amount_expected"));
    public AmountView AmountIn => new(Element.Field("amount_in"));
    public AmountView AmountOut => new(Element.Field("amount_out"));
    public AmountView AmountFee => new(Element.Field("amount_fee"));
    public FeeDetailsView FeeDetails => new(Element.Field("fee_details"));
    public JsonElement QuoteId => Element.Field("quote_id");
    public JsonElement StartedAt => Element.Field("started_at");
    public JsonElement UpdatedAt => Element.Field("updated_at");
    public JsonElement CompletedAt => Element.Field("completed_at");
    public JsonElement UserActionRequiredBy => Element.Field("user_action_required_by");
    public JsonElement TransferReceivedAt => Element.Field("transfer_received_at");
    public JsonElement Message => Element.Field("message");
    public RefundsView Refunds => new(Element.Field("refunds"));
    public JsonArrayView<StellarTransactionView> StellarTransactions => new(Element.Field("stellar_transactions"));
    public JsonElement SourceAccount => Element.Field("source_account");
    public JsonElement DestinationAccount => Element.Field("destination_account");
    public JsonElement ExternalTransactionId => Element.Field("external_transaction_id");
    public JsonElement Memo => Element.Field("memo");
    public JsonElement MemoType => Element.Field("memo_type");
    public JsonElement RefundMemo => Element.Field("refund_memo");
    public JsonElement RefundMemoType => Element.Field("refund_memo_type");
    public JsonElement ClientDomain => Element.Field("client_domain");
    public JsonElement ClientName => Element.Field("client_name");
    public CustomersView Customers => new(Element.Field("customers"));
    public StellarIdView Creator => new(Element.Field("creator"));
    public JsonElement RequiredInfoMessage => Element.Field("required_info_message");
    public JsonArrayView<JsonValueView> RequiredInfoUpdates => new(Element.Field("required_info_updates"));
    public JsonElement RequiredCustomerInfoMessage => Element.Field("required_customer_info_message");
    public JsonArrayView<JsonValueView> RequiredCustomerInfoUpdates => new(Element.Field("required_customer_info_updates"));
    public JsonMapView<InstructionView> Instructions => new(Element.Field("instructions"));
}

public readonly record struct AmountView(JsonElement Element) : IJsonView<AmountView>
{
    public static AmountView Wrap(JsonElement element) => new(element);
    public JsonElement Amount => Element.Field("amount");
    public JsonElement Asset => Element.Field("asset");
}

public readonly record struct FeeDetailsView(JsonElement Element) : IJsonView<FeeDetailsView>
{
    public static FeeDetailsView Wrap(JsonElement element) => new(element);
    public JsonElement Total => Element.Field("total");
    public JsonElement Asset => Element.Field("asset");
    public JsonArrayView<FeeDescriptionView> Details => new(Element.Field("details"));
}

public readonly record struct FeeDescriptionView(JsonElement Element) : IJsonView<FeeDescriptionView>
{
    public static FeeDescriptionView Wrap(JsonElement element) => new(element);
    public JsonElement Name => Element.Field("name");
    public JsonElement Description => Element.Field("description");
    public JsonElement Amount => Element.Field("amount");
}

public readonly record struct RefundsView(JsonElement Element) : IJsonView<RefundsView>
{
    public static RefundsView Wrap(JsonElement element) => new(element);
    public AmountView AmountRefunded => new(Element.Field("amount_refunded"));
    public AmountView AmountFee => new(Element.Field("amount_fee"));
    public JsonArrayView<RefundPaymentView> Payments => new(Element.Field("payments"));
}

public readonly record struct RefundPaymentView(JsonElement Element) : IJsonView<RefundPaymentView>
{
    public static RefundPaymentView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public JsonElement IdType => Element.Field("id_type");
    public AmountView Amount => new(Element.Field("amount"));
    public AmountView Fee => new(Element.Field("fee"));
    public JsonElement RequestedAt => Element.Field("requested_at");
    public JsonElement RefundedAt => Element.Field("refunded_at");
}

public readonly record struct StellarTransactionView(JsonElement Element) : IJsonView<StellarTransactionView>
{
    public static StellarTransactionView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public JsonElement Memo => Element.Field("memo");
    public JsonElement MemoType => Element.Field("memo_type");
    public JsonElement CreatedAt => Element.Field("created_at");
    public JsonElement Envelope => Element.Field("envelope");
    public JsonArrayView<StellarPaymentView> Payments => new(Element.Field("payments"));
}

public readonly record struct StellarPaymentView(JsonElement Element) : IJsonView<StellarPaymentView>
{
    public static StellarPaymentView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public AmountView Amount => new(Element.Field("amount"));
    public JsonElement PaymentType => Element.Field("payment_type");
    public JsonElement SourceAccount => Element.Field("source_account");
    public JsonElement DestinationAccount => Element.Field("destination_account");
}

public readonly record struct CustomersView(JsonElement Element) : IJsonView<CustomersView>
{
    public static CustomersView Wrap(JsonElement element) => new(element);
    public StellarIdView Sender => new(Element.Field("sender"));
    public StellarIdView Receiver => new(Element.Field("receiver"));
}

public readonly record struct StellarIdView(JsonElement Element) : IJsonView<StellarIdView>
{
    public static StellarIdView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public JsonElement Account => Element.Field("account");
    public JsonElement Memo => Element.Field("memo");
}

public readonly record struct InstructionView(JsonElement Element) : IJsonView<InstructionView>
{
    public static InstructionView Wrap(JsonElement element) => new(element);
    public JsonElement Value => Element.Field("value");
    public JsonElement Description => Element.Field("description");
}

public readonly record struct QuoteView(JsonElement Element) : IJsonView<QuoteView>
{
    public static QuoteView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
    public JsonElement SellAmount => Element.Field("sell_amount");
    public JsonElement SellAsset => Element.Field("sell_asset");
    public JsonElement BuyAmount => Element.Field("buy_amount");
    public JsonElement BuyAsset => Element.Field("buy_asset");
    public JsonElement ExpiresAt => Element.Field("expires_at");
    public JsonElement CreatedAt => Element.Field("created_at");
    public JsonElement Price => Element.Field("price");
    public JsonElement TotalPrice => Element.Field("total_price");
    public StellarIdView Creator => new(Element.Field("creator"));
    public JsonElement TransactionId => Element.Field("transaction_id");
    public FeeDetailsView Fee => new(Element.Field("fee"));
}

public readonly record struct CustomerView(JsonElement Element) : IJsonView<CustomerView>
{
    public static CustomerView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id");
}
