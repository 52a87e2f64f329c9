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

    // Each view's member is named after the JSON member it reads (AmountIn reads amount_in). Renamed here, per rule,
    // rather than through FluentValidation's global PropertyNameResolver, which would rename the rules of every
    // validator in the process.
    protected override void OnRuleAdded(IValidationRule<T> rule)
    {
        if (rule.PropertyName is { } name) rule.PropertyName = JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
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
        var payloads = new Dictionary<EventSubject, PayloadValidator>
        {
            [EventSubject.Transaction] = new(p => p.RuleFor(x => x.Transaction).Required().Object().ValidatedBy(new TransactionValidator(statuses))),
            [EventSubject.Quote] = new(p => p.RuleFor(x => x.Quote).Required().Object().ValidatedBy(new QuoteValidator())),
            [EventSubject.Customer] = new(p => p.RuleFor(x => x.Customer).Required().Object().ValidatedBy(new CustomerValidator())),
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

internal sealed class PayloadValidator : JsonViewValidator<PayloadView>
{
    public PayloadValidator(Action<PayloadValidator> rules) => rules(this);
}

/// <summary>
/// <c>payload.transaction</c> for SEP-6, SEP-24 and SEP-31 as AP 2.10 to 4.x really send it, which is looser than
/// its published schema (docs/anchor-platform.md: "payload.transaction", "Amounts", "What each line adds" and
/// "What Receiver checks").
/// </summary>
internal sealed class TransactionValidator : JsonViewValidator<TransactionView>
{
    public TransactionValidator(FrozenSet<string> statuses)
    {
        var strictAmount = new AmountValidator(AmountText.Required);
        var lenientAmount = new AmountValidator(AmountText.Optional);
        var unparsedAmount = new AmountValidator(AmountText.Unparsed);
        // SEP-31 builds every amount with the plain constructor, so "amount_out": {} is real traffic.
        AmountValidator AmountFor(TransactionView t) => t.Sep.IsString("31") ? lenientAmount : strictAmount;
        // SEP-24 keeps the wallet's amount as typed, parsing it only to compare with the asset's limits, and not at
        // all when it has none (AP@2.10.2 and AP@4.3.0:core/.../sep24/Sep24Service.java, deposit and withdraw).
        AmountValidator ExpectedAmountFor(TransactionView t) => t.Sep.IsString("24") ? unparsedAmount : lenientAmount;

        RuleFor(t => t.Id).Required().Identifier();
        RuleFor(t => t.Sep).Required().OneOf(Seps.All);
        RuleFor(t => t.Kind).Required().String()
            .Must((t, kind) => !kind.IsPresent() || !Seps.All.Contains(t.Sep.AsString() ?? "")
                               || Seps.KindsOf(t.Sep.AsString()).Contains(kind.GetString()!))
            .WithMessage(t => $"must be one of: {string.Join(", ", Seps.KindsOf(t.Sep.AsString()))} for SEP-{t.Sep.AsString()}");
        RuleFor(t => t.Status).Required().OneOf(statuses);
        RuleFor(t => t.Type).String();

        // The published schema requires amount_expected for SEP-24, but from 3.0 AP leaves it out of SEP-24 and SEP-6
        // once the asset is no longer configured (AP@3.1.4 and AP@4.3.0:core/.../util/TransactionMapper.java). The
        // schema also lists destination_account, which AP leaves out of a SEP-24 withdrawal until the user has chosen
        // where to send it. Neither is required here.
        RuleFor(t => t.AmountExpected).Object().ValidatedBy(ExpectedAmountFor);
        RuleFor(t => t.AmountIn).Object().ValidatedBy(AmountFor);
        RuleFor(t => t.AmountOut).Object().ValidatedBy(AmountFor);
        RuleFor(t => t.AmountFee).Object().ValidatedBy(AmountFor);
        RuleFor(t => t.FeeDetails).Object().ValidatedBy(new FeeDetailsValidator(FeeTotal.Unparsed));

        RuleFor(t => t.StartedAt).Required().DateTime();
        RuleFor(t => t.UpdatedAt).DateTime();
        RuleFor(t => t.CompletedAt).DateTime();
        RuleFor(t => t.UserActionRequiredBy).DateTime();
        RuleFor(t => t.TransferReceivedAt).DateTime();

        RuleFor(t => t.QuoteId).String();
        RuleFor(t => t.Message).String();
        RuleFor(t => t.SourceAccount).String();
        RuleFor(t => t.DestinationAccount).String();
        RuleFor(t => t.ExternalTransactionId).String();
        RuleFor(t => t.Memo).String();
        RuleFor(t => t.MemoType).String();
        RuleFor(t => t.RefundMemo).String();
        RuleFor(t => t.RefundMemoType).String();
        RuleFor(t => t.ClientDomain).String();
        RuleFor(t => t.ClientName).String();

        // Refunds and Stellar transactions may come from the anchor's PATCH /transactions, which AP stores without
        // checking or parsing their members (AP@2.10.2 and AP@4.3.0:platform/.../service/TransactionService.java,
        // core/.../sep24/Sep24Refunds.java), and SEP-24 and SEP-31 refunds are rebuilt with the plain Amount
        // constructor (TransactionMapper.toRefunds): only the JSON types and the enums Gson reads are certain.
        RuleFor(t => t.Refunds).Object().ValidatedBy(new RefundsValidator(unparsedAmount));
        RuleFor(t => t.StellarTransactions).Array();
        RuleForEach(t => t.StellarTransactions).Object().ValidatedBy(new StellarTransactionValidator(unparsedAmount));

        var stellarId = new StellarIdValidator();
        RuleFor(t => t.Customers).Object().ValidatedBy(new CustomersValidator(stellarId));
        RuleFor(t => t.Creator).Object().ValidatedBy(stellarId);

        // A List<String> that 2.x PATCH /transactions stores as the anchor sent it, null elements included, and Gson
        // writes a null element of an array (AP@2.10.2:platform/.../service/TransactionService.java).
        RuleFor(t => t.RequiredInfoMessage).String();
        RuleFor(t => t.RequiredInfoUpdates).Array();
        RuleForEach(t => t.RequiredInfoUpdates).Must(BeStringOrNull).WithMessage("must be a string");
        RuleFor(t => t.RequiredCustomerInfoMessage).String();
        RuleFor(t => t.RequiredCustomerInfoUpdates).Array();
        RuleForEach(t => t.RequiredCustomerInfoUpdates).Must(BeStringOrNull).WithMessage("must be a string");

        RuleFor(t => t.Instructions).Object();
        RuleForEach(t => t.Instructions)
            .OverrideIndexer((t, _, _, index) => "." + t.Instructions.KeyAt(index))
            .Object().ValidatedBy(new InstructionValidator());
    }

    private static bool BeStringOrNull(JsonValueView item) => item.Element.ValueKind is JsonValueKind.String or JsonValueKind.Null;
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

/// <summary>AP's <c>Amount</c>: <c>{amount, asset}</c> with the amount as a string.</summary>
internal sealed class AmountValidator : JsonViewValidator<AmountView>
{
    public AmountValidator(AmountText text)
    {
        RuleFor(a => a.Amount).Required().When(_ => text == AmountText.Required);
        if (text == AmountText.Unparsed)
            RuleFor(a => a.Amount).String();
        else
            RuleFor(a => a.Amount).DecimalString();
        RuleFor(a => a.Asset).String();
    }
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

internal sealed class FeeDetailsValidator : JsonViewValidator<FeeDetailsView>
{
    public FeeDetailsValidator(FeeTotal total)
    {
        // AP sends fee_details only when it has a total (JdbcSepTransaction.getFeeDetails, 2.10.2 to 4.3.0).
        RuleFor(f => f.Total).Required();
        if (total == FeeTotal.Parsed)
        {
            RuleFor(f => f.Total).DecimalString();
            RuleFor(f => f.Asset).Required();
        }
        else
        {
            RuleFor(f => f.Total).String();
        }
        RuleFor(f => f.Asset).String();
        RuleFor(f => f.Details).Array();
        RuleForEach(f => f.Details).Object().ValidatedBy(new FeeDescriptionValidator());
    }
}

/// <summary>
/// One line of a fee. Neither the rate callback's nor PATCH's lines are checked before AP sends them
/// (AP@4.3.0:platform/.../callback/RestRateIntegration.java, validateRateResponse), so each member is any string.
/// </summary>
internal sealed class FeeDescriptionValidator : JsonViewValidator<FeeDescriptionView>
{
    public FeeDescriptionValidator()
    {
        RuleFor(d => d.Name).String();
        RuleFor(d => d.Description).String();
        RuleFor(d => d.Amount).String();
    }
}

internal sealed class RefundsValidator : JsonViewValidator<RefundsView>
{
    public RefundsValidator(AmountValidator amount)
    {
        RuleFor(r => r.AmountRefunded).Object().ValidatedBy(amount);
        RuleFor(r => r.AmountFee).Object().ValidatedBy(amount);
        RuleFor(r => r.Payments).Array();
        RuleForEach(r => r.Payments).Object().ValidatedBy(new RefundPaymentValidator(amount));
    }
}

internal sealed class RefundPaymentValidator : JsonViewValidator<RefundPaymentView>
{
    private static readonly FrozenSet<string> IdTypes = FrozenSet.Create("stellar", "external");

    public RefundPaymentValidator(AmountValidator amount)
    {
        RuleFor(p => p.Id).String();
        RuleFor(p => p.IdType).OneOf(IdTypes);
        RuleFor(p => p.Amount).Object().ValidatedBy(amount);
        RuleFor(p => p.Fee).Object().ValidatedBy(amount);
        RuleFor(p => p.RequestedAt).DateTime();
        RuleFor(p => p.RefundedAt).DateTime();
    }
}

internal sealed class StellarTransactionValidator : JsonViewValidator<StellarTransactionView>
{
    public StellarTransactionValidator(AmountValidator amount)
    {
        RuleFor(s => s.Id).String();
        RuleFor(s => s.Memo).String();
        RuleFor(s => s.MemoType).String();
        RuleFor(s => s.CreatedAt).DateTime();
        RuleFor(s => s.Envelope).String();
        RuleFor(s => s.Payments).Array();
        RuleForEach(s => s.Payments).Object().ValidatedBy(new StellarPaymentValidator(amount));
    }
}

internal sealed class StellarPaymentValidator : JsonViewValidator<StellarPaymentView>
{
    private static readonly FrozenSet<string> PaymentTypes = FrozenSet.Create("payment", "path_payment");

    public StellarPaymentValidator(AmountValidator amount)
    {
        RuleFor(p => p.Id).String();
        // Horizon-style asset here ("USDC:G..."), still {amount, asset}. A token contract's payment (SEP-45, 4.x)
        // has a C... source, an M... destination and payment_type path_payment: all plain strings here.
        RuleFor(p => p.Amount).Object().ValidatedBy(amount);
        RuleFor(p => p.PaymentType).OneOf(PaymentTypes);
        RuleFor(p => p.SourceAccount).String();
        RuleFor(p => p.DestinationAccount).String();
    }
}

internal sealed class CustomersValidator : JsonViewValidator<CustomersView>
{
    public CustomersValidator(StellarIdValidator stellarId)
    {
        RuleFor(c => c.Sender).Object().ValidatedBy(stellarId);
        RuleFor(c => c.Receiver).Object().ValidatedBy(stellarId);
    }
}

/// <summary>
/// AP's <c>StellarId</c>: <c>{id?, account?, memo?}</c>. The account is a G..., M... (SEP-6 and SEP-24 keep the
/// muxed account from 4.3) or C... (SEP-45 contract, 4.x) address, the memo any text, an id memo up to 2^64-1.
/// </summary>
internal sealed class StellarIdValidator : JsonViewValidator<StellarIdView>
{
    public StellarIdValidator()
    {
        RuleFor(s => s.Id).String();
        RuleFor(s => s.Account).String();
        RuleFor(s => s.Memo).String();
    }
}

/// <summary>A SEP-6 instruction: the anchor's own text, which PATCH /transactions stores unchecked.</summary>
internal sealed class InstructionValidator : JsonViewValidator<InstructionView>
{
    public InstructionValidator()
    {
        RuleFor(i => i.Value).String();
        RuleFor(i => i.Description).String();
    }
}

/// <summary><c>payload.quote</c> of <c>quote_created</c> (AP's <c>GetQuoteResponse</c>, with <c>fee</c>).</summary>
internal sealed class QuoteValidator : JsonViewValidator<QuoteView>
{
    public QuoteValidator()
    {
        // The anchor's rate id, which RestRateIntegration requires of a firm quote but does not bound
        // (AP@4.3.0:platform/.../callback/RestRateIntegration.java, validateRateResponse).
        RuleFor(q => q.Id).Required().String();
        RuleFor(q => q.SellAmount).DecimalString();
        RuleFor(q => q.SellAsset).String();
        RuleFor(q => q.BuyAmount).DecimalString();
        RuleFor(q => q.BuyAsset).String();
        RuleFor(q => q.ExpiresAt).DateTime();
        RuleFor(q => q.CreatedAt).DateTime();
        RuleFor(q => q.Price).DecimalString();
        RuleFor(q => q.TotalPrice).DecimalString();
        RuleFor(q => q.Creator).Object().ValidatedBy(new StellarIdValidator());
        RuleFor(q => q.TransactionId).String();
        RuleFor(q => q.Fee).Object().ValidatedBy(new FeeDetailsValidator(FeeTotal.Parsed));
    }
}

/// <summary>
/// <c>payload.customer</c> of <c>customer_updated</c>: only <c>{id}</c> since AP 2.9. The id is whatever the anchor's
/// customer callback answered, unchecked (AP@4.3.0:core/.../sep12/Sep12Service.java putCustomer,
/// platform/.../rpc/NotifyCustomerInfoUpdatedHandler.java), so of any length and possibly absent.
/// </summary>
internal sealed class CustomerValidator : JsonViewValidator<CustomerView>
{
    public CustomerValidator() => RuleFor(c => c.Id).String();
}
