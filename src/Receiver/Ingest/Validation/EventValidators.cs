using System.Collections.Frozen;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;

namespace Receiver.Ingest.Validation;

/// <summary>
/// Base of every validator here: errors are keyed by the snake_case JSON name of each member, so the
/// property chain reads as the dotted JSON path (<c>payload.transaction.amount_in.amount</c>).
/// </summary>
internal abstract class JsonViewValidator<T> : AbstractValidator<T> where T : IJsonValue
{
    static JsonViewValidator() =>
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);

    protected JsonViewValidator() => RuleLevelCascadeMode = CascadeMode.Stop;

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
            [EventSubject.Transaction] = new(p => p.RuleFor(x => x.Transaction).Required().Object().SetValidator(new TransactionValidator(statuses))),
            [EventSubject.Quote] = new(p => p.RuleFor(x => x.Quote).Required().Object().SetValidator(new QuoteValidator())),
            [EventSubject.Customer] = new(p => p.RuleFor(x => x.Customer).Required().Object().SetValidator(new CustomerValidator())),
            [EventSubject.Unknown] = new(_ => { }),
        };

        RuleFor(e => e.Id).Required().Identifier();
        RuleFor(e => e.Type).Required().OneOf(EventTypes.All);
        RuleFor(e => e.Timestamp).Required().DateTime();
        // The payload member that carries the subject depends on the event type.
        RuleFor(e => e.Payload).Required().Object()
            .SetValidator(e => payloads[EventTypes.SubjectOf(e.Type.AsString())]);
    }
}

internal sealed class PayloadValidator : JsonViewValidator<PayloadView>
{
    public PayloadValidator(Action<PayloadValidator> rules) => rules(this);
}

/// <summary>
/// <c>payload.transaction</c> for SEP-6, SEP-24 and SEP-31 as AP 2.10 really sends it, which is looser than
/// its published schema (docs/anchor-platform.md: "payload.transaction" and "The documented Event API versus real traffic").
/// </summary>
internal sealed class TransactionValidator : JsonViewValidator<TransactionView>
{
    public TransactionValidator(FrozenSet<string> statuses)
    {
        var strictAmount = new AmountValidator(amountRequired: true);
        var lenientAmount = new AmountValidator(amountRequired: false);
        // SEP-31 builds every amount with the plain constructor, so "amount_out": {} is real traffic.
        AmountValidator AmountFor(TransactionView t) => t.Sep.AsString() == "31" ? lenientAmount : strictAmount;

        RuleFor(t => t.Id).Required().Identifier();
        RuleFor(t => t.Sep).Required().OneOf(Seps.All);
        RuleFor(t => t.Kind).Required().String()
            .Must((t, kind) => !kind.IsPresent() || !Seps.All.Contains(t.Sep.AsString() ?? "")
                               || Seps.KindsOf(t.Sep.AsString()).Contains(kind.GetString()!))
            .WithMessage(t => $"must be one of: {string.Join(", ", Seps.KindsOf(t.Sep.AsString()))} for SEP-{t.Sep.AsString()}");
        RuleFor(t => t.Status).Required().OneOf(statuses);
        RuleFor(t => t.Type).String();

        // Published schema: SEP-24 requires amount_expected. It also lists destination_account, which AP
        // leaves out of a SEP-24 withdrawal until the user has chosen where to send it; not required here.
        RuleFor(t => t.AmountExpected).Required().When(t => t.Sep.AsString() == "24");
        RuleFor(t => t.AmountExpected).Object().SetValidator(lenientAmount);
        RuleFor(t => t.AmountIn).Object().SetValidator(AmountFor);
        RuleFor(t => t.AmountOut).Object().SetValidator(AmountFor);
        RuleFor(t => t.AmountFee).Object().SetValidator(AmountFor);
        RuleFor(t => t.FeeDetails).Object().SetValidator(new FeeDetailsValidator());

        RuleFor(t => t.StartedAt).Required().DateTime();
        RuleFor(t => t.UpdatedAt).DateTime();
        RuleFor(t => t.CompletedAt).DateTime();
        RuleFor(t => t.UserActionRequiredBy).DateTime();
        RuleFor(t => t.TransferReceivedAt).DateTime();

        RuleFor(t => t.QuoteId).String();
        RuleFor(t => t.Message).String();
        RuleFor(t => t.SourceAccount).Indexed();
        RuleFor(t => t.DestinationAccount).Indexed();
        RuleFor(t => t.ExternalTransactionId).String();
        RuleFor(t => t.Memo).String();
        RuleFor(t => t.MemoType).String();
        RuleFor(t => t.RefundMemo).String();
        RuleFor(t => t.RefundMemoType).String();
        RuleFor(t => t.ClientDomain).String();
        RuleFor(t => t.ClientName).String();

        RuleFor(t => t.Refunds).Object().SetValidator(new RefundsValidator(strictAmount));
        RuleFor(t => t.StellarTransactions).Array();
        RuleForEach(t => t.StellarTransactions).Object().SetValidator(new StellarTransactionValidator(strictAmount));

        var stellarId = new StellarIdValidator();
        RuleFor(t => t.Customers).Object().SetValidator(new CustomersValidator(stellarId));
        RuleFor(t => t.Creator).Object().SetValidator(stellarId);

        RuleFor(t => t.RequiredInfoMessage).String();
        RuleFor(t => t.RequiredInfoUpdates).Array();
        RuleForEach(t => t.RequiredInfoUpdates).Must(BeString).WithMessage("must be a string");
        RuleFor(t => t.RequiredCustomerInfoMessage).String();
        RuleFor(t => t.RequiredCustomerInfoUpdates).Array();
        RuleForEach(t => t.RequiredCustomerInfoUpdates).Must(BeString).WithMessage("must be a string");

        RuleFor(t => t.Instructions).Object();
        RuleForEach(t => t.Instructions)
            .OverrideIndexer((t, _, _, index) => "." + t.Instructions.KeyAt(index))
            .Object().SetValidator(new InstructionValidator());
    }

    private static bool BeString(JsonValueView item) => item.Element.ValueKind == JsonValueKind.String;
}

/// <summary>AP's <c>Amount</c>: <c>{amount, asset}</c> with the amount as a decimal string.</summary>
internal sealed class AmountValidator : JsonViewValidator<AmountView>
{
    public AmountValidator(bool amountRequired)
    {
        RuleFor(a => a.Amount).Required().When(_ => amountRequired);
        RuleFor(a => a.Amount).DecimalString();
        RuleFor(a => a.Asset).Indexed();
    }
}

internal sealed class FeeDetailsValidator : JsonViewValidator<FeeDetailsView>
{
    public FeeDetailsValidator()
    {
        RuleFor(f => f.Total).Required().DecimalString();
        RuleFor(f => f.Asset).Required().String();
        RuleFor(f => f.Details).Array();
        RuleForEach(f => f.Details).Object().SetValidator(new FeeDescriptionValidator());
    }
}

internal sealed class FeeDescriptionValidator : JsonViewValidator<FeeDescriptionView>
{
    public FeeDescriptionValidator()
    {
        RuleFor(d => d.Name).Required().String();
        RuleFor(d => d.Description).String();
        RuleFor(d => d.Amount).Required().DecimalString();
    }
}

internal sealed class RefundsValidator : JsonViewValidator<RefundsView>
{
    public RefundsValidator(AmountValidator amount)
    {
        RuleFor(r => r.AmountRefunded).Required().Object().SetValidator(amount);
        RuleFor(r => r.AmountFee).Required().Object().SetValidator(amount);
        RuleFor(r => r.Payments).Array();
        RuleForEach(r => r.Payments).Object().SetValidator(new RefundPaymentValidator(amount));
    }
}

internal sealed class RefundPaymentValidator : JsonViewValidator<RefundPaymentView>
{
    private static readonly FrozenSet<string> IdTypes = FrozenSet.Create("stellar", "external");

    public RefundPaymentValidator(AmountValidator amount)
    {
        RuleFor(p => p.Id).Required().String();
        RuleFor(p => p.IdType).Required().OneOf(IdTypes);
        RuleFor(p => p.Amount).Required().Object().SetValidator(amount);
        RuleFor(p => p.Fee).Required().Object().SetValidator(amount);
        RuleFor(p => p.RequestedAt).DateTime();
        RuleFor(p => p.RefundedAt).DateTime();
    }
}

internal sealed class StellarTransactionValidator : JsonViewValidator<StellarTransactionView>
{
    public StellarTransactionValidator(AmountValidator amount)
    {
        RuleFor(s => s.Id).Required().String();
        RuleFor(s => s.Memo).String();
        RuleFor(s => s.MemoType).String();
        RuleFor(s => s.CreatedAt).DateTime();
        RuleFor(s => s.Envelope).String();
        RuleFor(s => s.Payments).Required().Array();
        RuleForEach(s => s.Payments).Object().SetValidator(new StellarPaymentValidator(amount));
    }
}

internal sealed class StellarPaymentValidator : JsonViewValidator<StellarPaymentView>
{
    private static readonly FrozenSet<string> PaymentTypes = FrozenSet.Create("payment", "path_payment");

    public StellarPaymentValidator(AmountValidator amount)
    {
        RuleFor(p => p.Id).Required().String();
        // Horizon-style asset here ("USDC:G..."), still {amount, asset}.
        RuleFor(p => p.Amount).Required().Object().SetValidator(amount);
        RuleFor(p => p.PaymentType).Required().OneOf(PaymentTypes);
        RuleFor(p => p.SourceAccount).Required().String();
        RuleFor(p => p.DestinationAccount).Required().String();
    }
}

internal sealed class CustomersValidator : JsonViewValidator<CustomersView>
{
    public CustomersValidator(StellarIdValidator stellarId)
    {
        RuleFor(c => c.Sender).Object().SetValidator(stellarId);
        RuleFor(c => c.Receiver).Object().SetValidator(stellarId);
    }
}

/// <summary>AP's <c>StellarId</c>: <c>{id?, account?, memo?}</c>.</summary>
internal sealed class StellarIdValidator : JsonViewValidator<StellarIdView>
{
    public StellarIdValidator()
    {
        RuleFor(s => s.Id).Indexed();
        RuleFor(s => s.Account).Indexed();
        RuleFor(s => s.Memo).String();
    }
}

internal sealed class InstructionValidator : JsonViewValidator<InstructionView>
{
    public InstructionValidator()
    {
        RuleFor(i => i.Value).Required().String();
        RuleFor(i => i.Description).Required().String();
    }
}

/// <summary><c>payload.quote</c> of <c>quote_created</c> (AP's <c>GetQuoteResponse</c>, with <c>fee</c>).</summary>
internal sealed class QuoteValidator : JsonViewValidator<QuoteView>
{
    public QuoteValidator()
    {
        RuleFor(q => q.Id).Required().Identifier();
        RuleFor(q => q.SellAmount).DecimalString();
        RuleFor(q => q.SellAsset).String();
        RuleFor(q => q.BuyAmount).DecimalString();
        RuleFor(q => q.BuyAsset).String();
        RuleFor(q => q.ExpiresAt).DateTime();
        RuleFor(q => q.CreatedAt).DateTime();
        RuleFor(q => q.Price).DecimalString();
        RuleFor(q => q.TotalPrice).DecimalString();
        RuleFor(q => q.Creator).Object().SetValidator(new StellarIdValidator());
        RuleFor(q => q.TransactionId).String();
        RuleFor(q => q.Fee).Object().SetValidator(new FeeDetailsValidator());
    }
}

/// <summary><c>payload.customer</c> of <c>customer_updated</c>: only <c>{id}</c> since AP 2.9.</summary>
internal sealed class CustomerValidator : JsonViewValidator<CustomerView>
{
    public CustomerValidator() => RuleFor(c => c.Id).Required().Identifier();
}
