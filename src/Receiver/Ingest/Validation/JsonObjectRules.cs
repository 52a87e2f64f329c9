using System.Linq.Expressions;
using System.Text.Json;
using FluentValidation;

namespace Receiver.Ingest.Validation;

/// <summary>
/// A JSON object inside the instance a validator checks, through which rules on the object's members are added to
/// that validator. Said instead of a validator of the object's own: FluentValidation runs a nested validator in a
/// context of its own, a context, a property chain, a data dictionary and a result, about 300 bytes for each nested
/// object of each event, where rules added here run in the validator's own context. A rule's path is made once, when
/// the rule is built, from its composed expression (<c>AmountIn.Amount</c>, read as <c>amount_in.amount</c>).
/// Arrays of objects still need a context for each item (<see cref="JsonRules.EachValidatedBy{T,TItem}"/>).
/// </summary>
internal sealed class JsonObjectRules<T, TView> where TView : IJsonValue
{
    private readonly AbstractValidator<T> _validator;
    private readonly Expression<Func<T, TView>> _path;
    private readonly Func<T, TView> _read;

    public JsonObjectRules(AbstractValidator<T> validator, Expression<Func<T, TView>> path)
    {
        _validator = validator;
        _path = path;
        _read = path.Compile();
    }

    /// <summary>The object as it is in the instance being validated.</summary>
    public TView Read(T instance) => _read(instance);

    /// <summary>
    /// Whether the object is there to have members. A member the object requires is required only then: when it is
    /// absent, or not an object, that is the rule on the object itself.
    /// </summary>
    public bool IsObject(T instance) => _read(instance).Element.ValueKind == JsonValueKind.Object;

    public IRuleBuilderInitial<T, TMember> RuleFor<TMember>(Expression<Func<TView, TMember>> member) => _validator.RuleFor(Into(member));

    /// <summary>A member the object must have, when the object is there.</summary>
    public IRuleBuilderOptions<T, JsonElement> Required(Expression<Func<TView, JsonElement>> member) =>
        RuleFor(member).RequiredWhen(IsObject);

    /// <summary>A member that is an object when present, and the rules on its own members.</summary>
    public JsonObjectRules<T, TChild> Object<TChild>(Expression<Func<TView, TChild>> member) where TChild : IJsonValue
    {
        RuleFor(member).Object();
        return new JsonObjectRules<T, TChild>(_validator, Into(member));
    }

    // The member read from the instance the validator checks: the member's expression with its parameter replaced by
    // this object's path. Spliced rather than invoked, so that FluentValidation names the rule after the whole chain
    // and caches its accessor under a key of its own (it keys accessors by the expression's text).
    private Expression<Func<T, TMember>> Into<TMember>(Expression<Func<TView, TMember>> member) =>
        Expression.Lambda<Func<T, TMember>>(new Splice(member.Parameters[0], _path.Body).Visit(member.Body), _path.Parameters);

    private sealed class Splice(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}
