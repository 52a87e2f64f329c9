using System.Text.Json;
using FluentValidation;
using Receiver.Ingest.Validation;

namespace Receiver.Wallet;

/// <summary>A SEP-6, SEP-24 or SEP-31 callback: the SEP's own <c>GET /transaction</c> response, <c>{"transaction": {...}}</c>.</summary>
public readonly record struct TransactionCallbackView(JsonElement Element) : IJsonView<TransactionCallbackView>
{
    public static TransactionCallbackView Wrap(JsonElement element) => new(element);
    public SepTransactionView Transaction => new(Element.Field("transaction"u8));
}

/// <summary>The members of a SEP transaction response the receiver keys, orders and filters by.</summary>
public readonly record struct SepTransactionView(JsonElement Element) : IJsonView<SepTransactionView>
{
    public static SepTransactionView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Kind => Element.Field("kind"u8);
    public JsonElement Status => Element.Field("status"u8);
    public JsonElement StartedAt => Element.Field("started_at"u8);
    public JsonElement UpdatedAt => Element.Field("updated_at"u8);
    public JsonElement CompletedAt => Element.Field("completed_at"u8);
    public JsonElement AmountInAsset => Element.Field("amount_in_asset"u8);
    public JsonElement AmountOutAsset => Element.Field("amount_out_asset"u8);
    public JsonElement AmountFeeAsset => Element.Field("amount_fee_asset"u8);
    public JsonElement From => Element.Field("from"u8);
    public JsonElement To => Element.Field("to"u8);
}

/// <summary>A SEP-12 callback: the customer as <c>GET /customer</c> answers it.</summary>
public readonly record struct CustomerCallbackView(JsonElement Element) : IJsonView<CustomerCallbackView>
{
    public static CustomerCallbackView Wrap(JsonElement element) => new(element);
    public JsonElement Id => Element.Field("id"u8);
    public JsonElement Status => Element.Field("status"u8);
}

/// <summary>
/// What a callback of SEP-6, 24 or 31 must hold for the receiver to key and order it. Only that: the rest is the
/// anchor's, passed on as it came, and a signed callback refused is lost (AP tries three times, then drops it).
/// </summary>
internal sealed class TransactionCallbackValidator : JsonViewValidator<TransactionCallbackView>
{
    public TransactionCallbackValidator()
    {
        RuleFor(c => c.Transaction).Required();
        var transaction = Members.Object(c => c.Transaction);
        transaction.Required(t => t.Id).Identifier();
        transaction.Required(t => t.Status).Identifier();
        transaction.RuleFor(t => t.Kind).String();
        transaction.RuleFor(t => t.StartedAt).DateTime();
        transaction.RuleFor(t => t.UpdatedAt).DateTime();
        transaction.RuleFor(t => t.CompletedAt).DateTime();
        transaction.RuleFor(t => t.AmountInAsset).String();
        transaction.RuleFor(t => t.AmountOutAsset).String();
        transaction.RuleFor(t => t.AmountFeeAsset).String();
        transaction.RuleFor(t => t.From).String();
        transaction.RuleFor(t => t.To).String();
    }
}

/// <summary>What a SEP-12 callback must hold: the customer's id, which keys it.</summary>
internal sealed class CustomerCallbackValidator : JsonViewValidator<CustomerCallbackView>
{
    public CustomerCallbackValidator()
    {
        RuleFor(c => c.Id).Required().Identifier();
        RuleFor(c => c.Status).String();
    }
}
