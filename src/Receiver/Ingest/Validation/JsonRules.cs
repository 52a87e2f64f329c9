using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Internal;
using FluentValidation.Results;
using Receiver.AnchorPlatform;
using Receiver.Storage;

namespace Receiver.Ingest.Validation;

/// <summary>Rules on raw JSON values. Each rule passes an absent value; <see cref="Required{T,TValue}"/> is separate.</summary>
internal static class JsonRules
{
    public static IRuleBuilderOptions<T, JsonElement> Required<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => value.IsPresent()).WithMessage("is required");

    public static IRuleBuilderOptions<T, TValue> Required<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => value.Element.IsPresent()).WithMessage("is required");

    public static IRuleBuilderOptions<T, JsonElement> String<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => !value.IsPresent() || value.ValueKind == JsonValueKind.String).WithMessage("must be a string");

    /// <summary>An id we store and index: AP's are UUIDs, so a short printable string.</summary>
    public static IRuleBuilderOptions<T, JsonElement> Identifier<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.String()
            .Must(value => AbsentOrText(value, static text => !text.IsWhiteSpace())).WithMessage("must not be empty")
            .Must(value => AbsentOrText(value, static text => StorageLimits.IsStorableIdentifier(text)))
            .WithMessage($"must be at most {StorageLimits.MaxIdentifierLength} characters, without control characters");

    public static IRuleBuilderOptions<T, JsonElement> OneOf<T>(this IRuleBuilder<T, JsonElement> rule, FrozenSet<string> allowed)
    {
        var message = $"must be one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}";
        var lookup = allowed.GetAlternateLookup<ReadOnlySpan<char>>();
        Func<ReadOnlySpan<char>, bool> isAllowed = text => lookup.Contains(text);
        return rule.String().Must(value => AbsentOrText(value, isAllowed)).WithMessage(message);
    }

    /// <summary>An amount AP has parsed: a JSON string that Java's <c>new BigDecimal(String)</c> reads.</summary>
    public static IRuleBuilderOptions<T, JsonElement> DecimalString<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => AbsentOrText(value, static text => JavaBigDecimal.IsValid(text)))
            .WithMessage("must be a number written as a string, as Java's BigDecimal reads it, e.g. \"100\", \"0.35\" or \"1E+2\"");

    public static IRuleBuilderOptions<T, JsonElement> DateTime<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => AbsentOrText(value, static text => Rfc3339.TryParseInstant(text, out _)))
            .WithMessage("must be an RFC 3339 date-time string, e.g. \"2024-09-25T18:59:32.123456Z\"");

    /// <summary>
    /// Absent, or a string whose text <paramref name="holds"/>, read without a string of its own (<see
    /// cref="JsonElementExtensions.Text"/>): rules check every short string of every event.
    /// </summary>
    private static bool AbsentOrText(JsonElement value, Func<ReadOnlySpan<char>, bool> holds) =>
        !value.IsPresent()
        || (value.ValueKind == JsonValueKind.String && holds(value.Text(stackalloc char[JsonElementExtensions.ShortText])));

    public static IRuleBuilderOptions<T, TValue> Object<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Object).WithMessage("must be an object");

    /// <summary>
    /// Validates the value with its own validator and reports its failures under this rule's path: said instead of
    /// FluentValidation's <c>SetValidator</c>, which runs the child with the parent's property chain, where each of
    /// the child's rules builds its full path (a copy of the chain and a string) every time, failing or not. Here the
    /// child runs with an empty chain, so a rule's path is its own name and the full path is made for a failure only,
    /// in a context that shares the parent's failure list and message formatter. <c>Validate(value)</c> would give it
    /// a list, a formatter and two dictionaries of its own, about 600 bytes per nested object; FluentValidation's
    /// <c>CloneForChildValidator</c> would share them but copy the parent's chain (<c>payments[0]</c> inside a
    /// <c>RuleForEach</c>). Parse and validate of a SEP-31 event: 19.3 to 15.2 KB (bench/, "allocations").
    /// </summary>
    public static IRuleBuilderOptionsConditions<T, TValue> ValidatedBy<T, TValue>(this IRuleBuilder<T, TValue> rule, IValidator<TValue> validator)
        where TValue : IJsonValue =>
        rule.ValidatedBy(_ => validator);

    /// <inheritdoc cref="ValidatedBy{T,TValue}(IRuleBuilder{T,TValue},IValidator{TValue})"/>
    /// <param name="validatorFor">Picks the validator from the instance that holds the value.</param>
    public static IRuleBuilderOptionsConditions<T, TValue> ValidatedBy<T, TValue>(
        this IRuleBuilder<T, TValue> rule, Func<T, IValidator<TValue>> validatorFor) where TValue : IJsonValue =>
        rule.Custom((value, context) =>
        {
            // Every validator here checks members of an object only (JsonViewValidator.PreValidate): nothing to run.
            if (value.Element.ValueKind != JsonValueKind.Object) return;
            var failures = SharedFailures<T>.Of(context);
            var first = failures.Count;
            var child = ChildContext<TValue>.New(value, propertyChain: null, context.Selector, failures, context.MessageFormatter);
            validatorFor(context.InstanceToValidate).Validate(child);
            var path = context.PropertyPath;
            for (var i = first; i < failures.Count; i++)
            {
                var failure = failures[i];
                failure.PropertyName = failure.PropertyName.Length == 0 ? path : $"{path}.{failure.PropertyName}";
            }
        });

    // FluentValidation keeps a context's failure list, and the constructor that shares it, internal (12.2.0,
    // ValidationContext<T>.Failures and its five-argument constructor). A version without them throws
    // MissingMethodException at the first nested object, which every ingest test sends.
    private static class SharedFailures<T>
    {
        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Failures")]
        public static extern List<ValidationFailure> Of(ValidationContext<T> context);
    }

    private static class ChildContext<T>
    {
        [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
        public static extern ValidationContext<T> New(
            T instanceToValidate, PropertyChain? propertyChain, IValidatorSelector validatorSelector, List<ValidationFailure> failures,
            MessageFormatter messageFormatter);
    }

    public static IRuleBuilderOptions<T, TValue> Array<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Array).WithMessage("must be an array");
}
