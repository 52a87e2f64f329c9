using System.Collections.Frozen;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Receiver.AnchorPlatform;

namespace Receiver.Ingest.Validation;

/// <summary>
/// Base of every validator here: errors are keyed by the snake_case JSON name of each member, so the
/// property chain reads as the dotted JSON path (<c>payload.transaction.amount_in.amount</c>).
/// </summary>
internal abstract class JsonViewValidator<T> : AbstractValidator<T> where T : IJsonValue
{
    protected JsonViewValidator() => RuleLevelCascadeMode = CascadeMode.Stop;

    /// <summary>The instance's own members, and through them the objects nested in it.</summary>
    protected JsonObjectRules<T, T> Members => new(this, view => view);

    // Each view's member is named after the JSON member it reads (AmountIn reads amount_in), and a nested object's
    // rule after the chain (AmountIn.Amount). Renamed here, per rule, rather than through FluentValidation's global
    // PropertyNameResolver, which would rename the rules of every validator in the process.
    protected override void OnRuleAdded(IValidationRule<T> rule)
    {
        if (rule.PropertyName is { } name)
            rule.PropertyName = string.Join('.', name.Split('.').Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));
    }

    // Members are checked only on an object; whether it may be absent or must be an object is the parent's rule.
    protected override bool PreValidate(ValidationContext<T> context, ValidationResult result) =>
        context.InstanceToValidate.Element.ValueKind == JsonValueKind.Object;
}

/// <summary>The envelope AP's <c>SendEventRequest</c> produces.</summary>
internal sealed class EventValidator : JsonViewValidator<EventView>
{
    public EventValidator(IOptions<IngestOptions> options)
    {
        var statuses = options.Value.AcceptedStatuses;
        var payloads = new Dictionary<EventSubject, ObjectValidator<PayloadView>>
        {
            [EventSubject.Transaction] = new(payload =>
            {
                payload.RuleFor(p => p.Transaction).Required();
                payload.Object(p => p.Transaction).Transaction(statuses);
            }),
            [EventSubject.Quote] = new(payload =>
            {
                payload.RuleFor(p => p.Quote).Required();
                payload.Object(p => p.Quote).Quote();
            }),
            [EventSubject.Customer] = new(payload =>
            {
                payload.RuleFor(p => p.Customer).Required();
                payload.Object(p => p.Customer).Customer();
            }),
            [EventSubject.Unknown] = new(_ => { }),
        };

        RuleFor(e => e.Id).Required().Identifier();
        RuleFor(e => e.Type).Required().OneOf(EventTypes.All);
        RuleFor(e => e.Timestamp).Required().DateTime();
        // The payload member that carries the subject depends on the event type.
        RuleFor(e => e.Payload).Required().Object()
            .ValidatedBy(e => payloads[EventTypes.SubjectOf(e.Type.AsString())]);
    }
}

/// <summary>An object checked in a context of its own: the payload, whose rules depend on the event type, and each item of an array.</summary>
internal sealed class ObjectValidator<T> : JsonViewValidator<T> where T : IJsonValue
{
    public ObjectValidator(Action<JsonObjectRules<T, T>> rules) => rules(Members);
}

/// <summary>The rules of each object AP sends, added to the validator of the object that holds it (<see cref="JsonObjectRules{T,TView}"/>).</summary>
internal static class EventRules
{
    /// <summary>
    /// <c>payload.transaction</c> for SEP-6, SEP-24 and SEP-31 as AP 2.10 to 4.x really send it, which is looser than
    /// its published schema (docs/anchor-platform.md: "payload.transaction", "Amounts", "What each line adds" and
    /// "What Receiver checks").
    /// </summary>
    public static void Transaction<T>(this JsonObjectRules<T, TransactionView> transaction, FrozenSet<string> statuses)
    {
        // SEP-31 builds every amount with the plain constructor, so "amount_out": {} is real traffic.
        Func<T, AmountText> amountText = x => transaction.Read(x).Sep.IsString("31") ? AmountText.Optional : AmountText.Required;
        // SEP-24 keeps the wallet's amount as typed, parsing it only to compare with the asset's limits, and not at
        // all when it has none (AP@2.10.2 and AP@4.3.0:core/.../sep24/Sep24Service.java, deposit and withdraw).
        Func<T, AmountText> expectedAmountText = x => transaction.Read(x).Sep.IsString("24") ? AmountText.Unparsed : AmountText.Optional;

        transaction.Required(t => t.Id).Identifier();
        transaction.Required(t => t.Sep).OneOf(Seps.All);
        transaction.Required(t => t.Kind).String()
            .Must((x, kind) => !kind.IsPresent() || transaction.Read(x).Sep.AsString() is not { } sep || !Seps.All.Contains(sep)
                               || Seps.KindsOf(sep).Contains(kind.GetString()!))
            .WithMessage(x => $"must be one of: {string.Join(", ", Seps.KindsOf(transaction.Read(x).Sep.AsString()))} for SEP-{transaction.Read(x).Sep.AsString()}");
        transaction.Required(t => t.Status).OneOf(statuses);
        transaction.RuleFor(t => t.Type).String();

        // The published schema requires amount_expected for SEP-24, but from 3.0 AP leaves it out of SEP-24 and SEP-6
        // once the asset is no longer configured (AP@3.1.4 and AP@4.3.0:core/.../util/TransactionMapper.java). The
        // schema also lists destination_account, which AP leaves out of a SEP-24 withdrawal until the user has chosen
        // where to send it. Neither is required here.
        transaction.Object(t => t.AmountExpected).Amount(expectedAmountText);
        transaction.Object(t => t.AmountIn).Amount(amountText);
        transaction.Object(t => t.AmountOut).Amount(amountText);
        transaction.Object(t => t.AmountFee).Amount(amountText);
        transaction.Object(t => t.FeeDetails).Fee(FeeTotal.Unparsed);

        transaction.Required(t => t.StartedAt).DateTime();
        transaction.RuleFor(t => t.UpdatedAt).DateTime();
        transaction.RuleFor(t => t.CompletedAt).DateTime();
        transaction.RuleFor(t => t.UserActionRequiredBy).DateTime();
        transaction.RuleFor(t => t.TransferReceivedAt).DateTime();

        transaction.RuleFor(t => t.QuoteId).String();
        transaction.RuleFor(t => t.Message).String();
        transaction.RuleFor(t => t.SourceAccount).String();
        transaction.RuleFor(t => t.DestinationAccount).String();
        transaction.RuleFor(t => t.ExternalTransactionId).String();
        transaction.RuleFor(t => t.Memo).String();
        transaction.RuleFor(t => t.MemoType).String();
        transaction.RuleFor(t => t.RefundMemo).String();
        transaction.RuleFor(t => t.RefundMemoType).String();
        transaction.RuleFor(t => t.ClientDomain).String();
        transaction.RuleFor(t => t.ClientName).String();

        // Refunds and Stellar transactions may come from the anchor's PATCH /transactions, which AP stores without
        // checking or parsing their members (AP@2.10.2 and AP@4.3.0:platform/.../service/TransactionService.java,
        // core/.../sep24/Sep24Refunds.java), and SEP-24 and SEP-31 refunds are rebuilt with the plain Amount
        // constructor (TransactionMapper.toRefunds): only the JSON types and the enums Gson reads are certain.
        transaction.Object(t => t.Refunds).Refunds();
        transaction.RuleFor(t => t.StellarTransactions).Array().EachValidatedBy(StellarTransaction);

        transaction.Object(t => t.Customers).Customers();
        transaction.Object(t => t.Creator).StellarId();

        // A List<String> that 2.x PATCH /transactions stores as the anchor sent it, null elements included, and Gson
        // writes a null element of an array (AP@2.10.2:platform/.../service/TransactionService.java).
        transaction.RuleFor(t => t.RequiredInfoMessage).String();
        transaction.RuleFor(t => t.RequiredInfoUpdates).Array().EachStringOrNull();
        transaction.RuleFor(t => t.RequiredCustomerInfoMessage).String();
        transaction.RuleFor(t => t.RequiredCustomerInfoUpdates).Array().EachStringOrNull();

        transaction.RuleFor(t => t.Instructions).Object().EachValidatedBy(Instruction);
    }

    /// <summary>
    /// AP's <c>Amount</c>: <c>{amount, asset}</c> with the amount as a string. What the amount may be depends on the
    /// transaction (<paramref name="text"/>), asked once for an amount that is there.
    /// </summary>
    private static void Amount<T>(this JsonObjectRules<T, AmountView> amount, Func<T, AmountText> text)
    {
        amount.RuleFor(a => a.Amount).RequiredWhen(x => amount.IsObject(x) && text(x) == AmountText.Required);
        amount.RuleFor(a => a.Amount).DecimalStringWhen(x => text(x) != AmountText.Unparsed);
        amount.RuleFor(a => a.Asset).String();
    }

    private static void Amount<T>(this JsonObjectRules<T, AmountView> amount, AmountText text) => amount.Amount(_ => text);

    private static void Fee<T>(this JsonObjectRules<T, FeeDetailsView> fee, FeeTotal total)
    {
        // AP sends fee_details only when it has a total (JdbcSepTransaction.getFeeDetails, 2.10.2 to 4.3.0).
        fee.Required(f => f.Total);
        if (total == FeeTotal.Parsed)
        {
            fee.RuleFor(f => f.Total).DecimalString();
            fee.Required(f => f.Asset);
        }
        else
        {
            fee.RuleFor(f => f.Total).String();
        }
        fee.RuleFor(f => f.Asset).String();
        fee.RuleFor(f => f.Details).Array().EachValidatedBy(FeeDescription);
    }

    /// <summary>
    /// One line of a fee. Neither the rate callback's nor PATCH's lines are checked before AP sends them
    /// (AP@4.3.0:platform/.../callback/RestRateIntegration.java, validateRateResponse), so each member is any string.
    /// </summary>
    private static readonly ObjectValidator<FeeDescriptionView> FeeDescription = new(line =>
    {
        line.RuleFor(d => d.Name).String();
        line.RuleFor(d => d.Description).String();
        line.RuleFor(d => d.Amount).String();
    });

    private static void Refunds<T>(this JsonObjectRules<T, RefundsView> refunds)
    {
        refunds.Object(r => r.AmountRefunded).Amount(AmountText.Unparsed);
        refunds.Object(r => r.AmountFee).Amount(AmountText.Unparsed);
        refunds.RuleFor(r => r.Payments).Array().EachValidatedBy(RefundPayment);
    }

    private static readonly FrozenSet<string> RefundIdTypes = FrozenSet.Create("stellar", "external");

    private static readonly ObjectValidator<RefundPaymentView> RefundPayment = new(payment =>
    {
        payment.RuleFor(p => p.Id).String();
        payment.RuleFor(p => p.IdType).OneOf(RefundIdTypes);
        payment.Object(p => p.Amount).Amount(AmountText.Unparsed);
        payment.Object(p => p.Fee).Amount(AmountText.Unparsed);
        payment.RuleFor(p => p.RequestedAt).DateTime();
        payment.RuleFor(p => p.RefundedAt).DateTime();
    });

    private static readonly FrozenSet<string> PaymentTypes = FrozenSet.Create("payment", "path_payment");

    private static readonly ObjectValidator<StellarPaymentView> StellarPayment = new(payment =>
    {
        payment.RuleFor(p => p.Id).String();
        // Horizon-style asset here ("USDC:G..."), still {amount, asset}. A token contract's payment (SEP-45, 4.x)
        // has a C... source, an M... destination and payment_type path_payment: all plain strings here.
        payment.Object(p => p.Amount).Amount(AmountText.Unparsed);
        payment.RuleFor(p => p.PaymentType).OneOf(PaymentTypes);
        payment.RuleFor(p => p.SourceAccount).String();
        payment.RuleFor(p => p.DestinationAccount).String();
    });

    private static readonly ObjectValidator<StellarTransactionView> StellarTransaction = new(stellar =>
    {
        stellar.RuleFor(s => s.Id).String();
        stellar.RuleFor(s => s.Memo).String();
        stellar.RuleFor(s => s.MemoType).String();
        stellar.RuleFor(s => s.CreatedAt).DateTime();
        stellar.RuleFor(s => s.Envelope).String();
        stellar.RuleFor(s => s.Payments).Array().EachValidatedBy(StellarPayment);
    });

    private static void Customers<T>(this JsonObjectRules<T, CustomersView> customers)
    {
        customers.Object(c => c.Sender).StellarId();
        customers.Object(c => c.Receiver).StellarId();
    }

    /// <summary>
    /// AP's <c>StellarId</c>: <c>{id?, account?, memo?}</c>. The account is a G..., M... (SEP-6 and SEP-24 keep the
    /// muxed account from 4.3) or C... (SEP-45 contract, 4.x) address, the memo any text, an id memo up to 2^64-1.
    /// </summary>
    private static void StellarId<T>(this JsonObjectRules<T, StellarIdView> stellarId)
    {
        stellarId.RuleFor(s => s.Id).String();
        stellarId.RuleFor(s => s.Account).String();
        stellarId.RuleFor(s => s.Memo).String();
    }

    /// <summary>A SEP-6 instruction: the anchor's own text, which PATCH /transactions stores unchecked.</summary>
    private static readonly ObjectValidator<InstructionView> Instruction = new(instruction =>
    {
        instruction.RuleFor(i => i.Value).String();
        instruction.RuleFor(i => i.Description).String();
    });

    /// <summary><c>payload.quote</c> of <c>quote_created</c> (AP's <c>GetQuoteResponse</c>, with <c>fee</c>).</summary>
    public static void Quote<T>(this JsonObjectRules<T, QuoteView> quote)
    {
        // The anchor's rate id, which RestRateIntegration requires of a firm quote but does not bound
        // (AP@4.3.0:platform/.../callback/RestRateIntegration.java, validateRateResponse).
        quote.Required(q => q.Id).String();
        quote.RuleFor(q => q.SellAmount).DecimalString();
        quote.RuleFor(q => q.SellAsset).String();
        quote.RuleFor(q => q.BuyAmount).DecimalString();
        quote.RuleFor(q => q.BuyAsset).String();
        quote.RuleFor(q => q.ExpiresAt).DateTime();
        quote.RuleFor(q => q.CreatedAt).DateTime();
        quote.RuleFor(q => q.Price).DecimalString();
        quote.RuleFor(q => q.TotalPrice).DecimalString();
        quote.Object(q => q.Creator).StellarId();
        quote.RuleFor(q => q.TransactionId).String();
        quote.Object(q => q.Fee).Fee(FeeTotal.Parsed);
    }

    /// <summary>
    /// <c>payload.customer</c> of <c>customer_updated</c>: only <c>{id}</c> since AP 2.9. The id is whatever the anchor's
    /// customer callback answered, unchecked (AP@4.3.0:core/.../sep12/Sep12Service.java putCustomer,
    /// platform/.../rpc/NotifyCustomerInfoUpdatedHandler.java), so of any length and possibly absent.
    /// </summary>
    public static void Customer<T>(this JsonObjectRules<T, CustomerView> customer) => customer.RuleFor(c => c.Id).String();
}

/// <summary>What an amount's <c>amount</c> member may be.</summary>
internal enum AmountText
{
    /// <summary>Present, and a number as Java's BigDecimal reads it (<see cref="JavaBigDecimal"/>).</summary>
    Required,

    /// <summary>Absent, or such a number.</summary>
    Optional,

    /// <summary>Absent, or any string: text AP passes on without parsing (a wallet's typed amount, an anchor's PATCH).</summary>
    Unparsed,
}

/// <summary>Whether AP has parsed a fee's <c>total</c> before sending it.</summary>
internal enum FeeTotal
{
    /// <summary>A quote's fee: the rate callback's answer, whose total AP parses (<c>RestRateIntegration</c>).</summary>
    Parsed,

    /// <summary>
    /// A transaction's fee_details: PATCH /transactions stores the anchor's fee_details unparsed, asset and all, when
    /// no amount_fee comes with them (AP@2.10.2:platform/.../service/TransactionService.java, validateAndGetRateFee).
    /// </summary>
    Unparsed,
}
