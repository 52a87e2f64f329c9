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
    private const string IsRequired = "is required";
    private const string MustBeAString = "must be a string";
    private const string MustBeADecimalString =
        "must be a number written as a string, as Java's BigDecimal reads it, e.g. \"100\", \"0.35\" or \"1E+2\"";

    public static IRuleBuilderOptions<T, JsonElement> Required<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => value.IsPresent()).WithMessage(IsRequired);

    /// <summary>Required when <paramref name="required"/> says so of the instance, which is asked only when the value is absent.</summary>
    public static IRuleBuilderOptions<T, JsonElement> RequiredWhen<T>(this IRuleBuilder<T, JsonElement> rule, Func<T, bool> required) =>
        rule.Must((instance, value) => value.IsPresent() || !required(instance)).WithMessage(IsRequired);

    public static IRuleBuilderOptions<T, TValue> Required<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => value.Element.IsPresent()).WithMessage(IsRequired);

    public static IRuleBuilderOptions<T, JsonElement> String<T>(this IRuleBuilder<T, JsonElement> rule) =>
        rule.Must(value => !value.IsPresent() || value.ValueKind == JsonValueKind.String).WithMessage(MustBeAString);

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
        rule.Must(IsAbsentOrDecimalString).WithMessage(MustBeADecimalString);

    /// <summary>
    /// A <see cref="DecimalString{T}"/> when <paramref name="parsed"/> says so of the instance, else any string, in
    /// one rule that asks only when the value is present.
    /// </summary>
    public static IRuleBuilderOptions<T, JsonElement> DecimalStringWhen<T>(this IRuleBuilder<T, JsonElement> rule, Func<T, bool> parsed) =>
        rule.Must((instance, value) =>
                !value.IsPresent() || (parsed(instance) ? IsAbsentOrDecimalString(value) : value.ValueKind == JsonValueKind.String))
            .WithMessage(instance => parsed(instance) ? MustBeADecimalString : MustBeAString);

    private static bool IsAbsentOrDecimalString(JsonElement value) => AbsentOrText(value, static text => JavaBigDecimal.IsValid(text));

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

    private const string MustBeAnObject = "must be an object";

    public static IRuleBuilderOptions<T, TValue> Object<T, TValue>(this IRuleBuilder<T, TValue> rule) where TValue : IJsonValue =>
        rule.Must(value => !value.Element.IsPresent() || value.Element.ValueKind == JsonValueKind.Object).WithMessage(MustBeAnObject);

    /// <summary>
    /// Validates the value with a validator of its own and reports its failures under this rule's path: the payload,
    /// whose validator depends on the event type (<paramref name="validatorFor"/> picks it from the instance that holds
    /// the value). A nested object whose rules are always the same needs no validator of its own: <see
    /// cref="JsonObjectRules{T,TView}"/>.
    /// </summary>
    public static IRuleBuilderOptionsConditions<T, TValue> ValidatedBy<T, TValue>(
        this IRuleBuilder<T, TValue> rule, Func<T, IValidator<TValue>> validatorFor) where TValue : IJsonValue =>
        rule.Custom((value, context) =>
        {
            // Every validator here checks members of an object only (JsonViewValidator.PreValidate): nothing to run.
            if (value.Element.ValueKind == JsonValueKind.Object)
                ValidateNested(value, validatorFor(context.InstanceToValidate), context, new NestedPath());
        });

    /// <summary>Each item of an array must be an object or null (as <see cref="Object{T,TValue}"/> has it), checked by <paramref name="validator"/>; a failure's path names the item (<c>payments[0].id</c>).</summary>
    public static IRuleBuilderOptionsConditions<T, JsonArrayView<TItem>> EachValidatedBy<T, TItem>(
        this IRuleBuilder<T, JsonArrayView<TItem>> rule, IValidator<TItem> validator) where TItem : IJsonView<TItem> =>
        rule.Custom((array, context) =>
        {
            if (array.Element.ValueKind != JsonValueKind.Array) return;
            var index = 0;
            foreach (var item in array.Element.EnumerateArray())
                ValidateItem(item, validator, context, new NestedPath(index++));
        });

    /// <summary>Each member of a map must be an object or null, checked by <paramref name="validator"/>; a failure's path names the member (<c>instructions.organization.bank_number.value</c>).</summary>
    public static IRuleBuilderOptionsConditions<T, JsonMapView<TItem>> EachValidatedBy<T, TItem>(
        this IRuleBuilder<T, JsonMapView<TItem>> rule, IValidator<TItem> validator) where TItem : IJsonView<TItem> =>
        rule.Custom((map, context) =>
        {
            if (map.Element.ValueKind != JsonValueKind.Object) return;
            foreach (var member in map.Element.EnumerateObject())
                ValidateItem(member.Value, validator, context, new NestedPath(member));
        });

    /// <summary>Each item of an array must be a string or null (Gson writes a list's null element).</summary>
    public static IRuleBuilderOptionsConditions<T, JsonArrayView<JsonValueView>> EachStringOrNull<T>(this IRuleBuilder<T, JsonArrayView<JsonValueView>> rule) =>
        rule.Custom((array, context) =>
        {
            if (array.Element.ValueKind != JsonValueKind.Array) return;
            var index = 0;
            foreach (var item in array.Element.EnumerateArray())
            {
                if (item.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    context.AddFailure(new ValidationFailure(new NestedPath(index).Under(context.PropertyPath), "must be a string"));
                index++;
            }
        });

    private static void ValidateItem<T, TItem>(JsonElement item, IValidator<TItem> validator, ValidationContext<T> context, NestedPath path)
        where TItem : IJsonView<TItem>
    {
        if (item.ValueKind == JsonValueKind.Object)
            ValidateNested(TItem.Wrap(item), validator, context, path);
        else if (item.IsPresent())
            context.AddFailure(new ValidationFailure(path.Under(context.PropertyPath), MustBeAnObject));
    }

    /// <summary>
    /// Said instead of FluentValidation's <c>SetValidator</c> and <c>RuleForEach</c>, which run the child with the
    /// parent's property chain (copied for each item, with the item's index), where each of the child's rules builds
    /// its full path (a copy of the chain and a string) every time, failing or not. Here the child runs with an empty
    /// chain, so a rule's path is its own name and the full path is made for a failure only, in a context that shares
    /// the parent's failure list and message formatter. <c>Validate(value)</c> would give it a list, a formatter and
    /// two dictionaries of its own; FluentValidation's <c>CloneForChildValidator</c> would share them but copy the
    /// parent's chain.
    /// </summary>
    private static void ValidateNested<T, TValue>(TValue value, IValidator<TValue> validator, ValidationContext<T> context, NestedPath path)
    {
        var failures = SharedFailures<T>.Of(context);
        var first = failures.Count;
        validator.Validate(ChildContext<TValue>.New(value, propertyChain: null, context.Selector, failures, context.MessageFormatter));
        if (failures.Count == first) return;
        var prefix = path.Under(context.PropertyPath);
        for (var i = first; i < failures.Count; i++)
        {
            var failure = failures[i];
            failure.PropertyName = failure.PropertyName.Length == 0 ? prefix : $"{prefix}.{failure.PropertyName}";
        }
    }

    /// <summary>Where a nested value sits under its rule's path: the value itself, an array's item, or a map's member.</summary>
    private readonly struct NestedPath
    {
        private readonly int _index = -1;
        private readonly string? _member;

        public NestedPath() { }
        public NestedPath(int index) => _index = index;
        public NestedPath(JsonProperty member) => _member = member.Name;

        public string Under(string path) =>
            _member is not null ? $"{path}.{_member}" : _index >= 0 ? $"{path}[{_index}]" : path;
    }

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
