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

    public static IRuleBuilderOptions<T, TValue> Array<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Array).WithMessage("must be an array");
}
