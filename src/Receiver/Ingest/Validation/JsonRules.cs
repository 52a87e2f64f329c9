using System.Collections.Frozen;
using System.Text.Json;
using FluentValidation;
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
            .Must(value => !value.IsPresent() || value.GetString()!.Trim().Length > 0).WithMessage("must not be empty")
            .Must(value => !value.IsPresent() || StorageLimits.IsStorableIdentifier(value.GetString()))
            .WithMessage($"must be at most {StorageLimits.MaxIdentifierLength} characters, without control characters");

    public static IRuleBuilderOptions<T, JsonElement> OneOf<T>(this IRuleBuilder<T, JsonElement> rule, FrozenSet<string> allowed)
    {
        var message = $"must be one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}";
        return rule.String().Must(value => !value.IsPresent() || allowed.Contains(value.GetString()!)).WithMessage(message);
    }

    /// <summary>An amount AP has parsed: a JSON string that Java's <c>new BigDecimal(String)</c> reads.</summary>
    public static IRuleBuilderOptions<T, JsonElement> DecimalString<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => !value.IsPresent() || (value.ValueKind == JsonValueKind.String && JavaBigDecimal.IsValid(value.GetString())))
            .WithMessage("must be a number written as a string, as Java's BigDecimal reads it, e.g. \"100\", \"0.35\" or \"1E+2\"");

    public static IRuleBuilderOptions<T, JsonElement> DateTime<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => !value.IsPresent() || (value.ValueKind == JsonValueKind.String && Rfc3339.TryParseInstant(value.GetString(), out _)))
            .WithMessage("must be an RFC 3339 date-time string, e.g. \"2024-09-25T18:59:32.123456Z\"");

    public static IRuleBuilderOptions<T, TValue> Object<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Object).WithMessage("must be an object");

    /// <summary>
    /// Validates the value with its own validator, run apart, and reports its failures under this rule's path: said
    /// instead of FluentValidation's <c>SetValidator</c>, which runs the child in the parent's context, where each of
    /// the child's rules builds its full path (a copy of the property chain and a string) every time, failing or not.
    /// Run apart, a rule's path is its own name, and the full path is made for a failure only (bench/micro).
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
            foreach (var failure in validatorFor(context.InstanceToValidate).Validate(value).Errors)
            {
                failure.PropertyName = failure.PropertyName.Length == 0 ? context.PropertyPath : $"{context.PropertyPath}.{failure.PropertyName}";
                context.AddFailure(failure);
            }
        });

    public static IRuleBuilderOptions<T, TValue> Array<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Array).WithMessage("must be an array");
}
