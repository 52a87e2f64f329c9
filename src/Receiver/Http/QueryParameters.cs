using Microsoft.AspNetCore.Http.HttpResults;
using Receiver.AnchorPlatform;
using Receiver.Storage;

namespace Receiver.Http;

/// <summary>
/// Reads query-string parameters and collects what is wrong with them, keyed by parameter name, so one 400
/// names every bad parameter at once (RFC 9457 problem details, like the 400 of <c>/event</c>).
/// </summary>
internal sealed class QueryParameters(HttpRequest request)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 250;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Fail(string parameter, string message)
    {
        if (!_errors.TryGetValue(parameter, out var messages)) _errors[parameter] = messages = [];
        messages.Add(message);
    }

    public ValidationProblem Problem() =>
        TypedResults.ValidationProblem(
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            title: "Invalid query",
            detail: $"The query is invalid: {_errors.Count} {(_errors.Count == 1 ? "parameter" : "parameters")} ({string.Join(", ", _errors.Keys)}).");

    /// <summary>A typo in a parameter name would otherwise silently widen the query.</summary>
    public void AllowOnly(params string[] known)
    {
        foreach (var name in request.Query.Keys.Where(name => !known.Contains(name, StringComparer.Ordinal)))
            Fail(name, $"is not a parameter of this query; known: {string.Join(", ", known)}");
    }

    public int Limit(string? text)
    {
        if (text is null) return DefaultLimit;
        if (int.TryParse(text, out var limit) && limit is >= 1 and <= MaxLimit) return limit;
        Fail("limit", $"must be a whole number from 1 to {MaxLimit}");
        return DefaultLimit;
    }

    /// <summary>A whole number within bounds, or null when absent (and when bad, noted as an error).</summary>
    public long? Whole(string name, string? text, long min, long max)
    {
        if (text is null) return null;
        if (long.TryParse(text, System.Globalization.NumberStyles.None, null, out var value) && value >= min && value <= max) return value;
        Fail(name, max == long.MaxValue ? $"must be a whole number of at least {min}" : $"must be a whole number from {min} to {max}");
        return null;
    }

    public DateTimeOffset? Instant(string name, string? text)
    {
        if (text is null) return null;
        if (Rfc3339.TryParse(text, out var instant)) return instant.ToUniversalTime();
        Fail(name, "must be an RFC 3339 date-time, e.g. 2024-09-25T18:59:32Z");
        return null;
    }

    public string? OneOf(string name, string? value, IReadOnlySet<string> allowed)
    {
        if (value is null || allowed.Contains(value)) return value;
        Fail(name, $"must be one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
        return null;
    }

    public string[] AllOf(string name, string[]? values, IReadOnlySet<string> allowed)
    {
        if (values is not { Length: > 0 }) return [];
        foreach (var value in values.Where(v => !allowed.Contains(v)))
            Fail(name, $"'{value}' is not one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
        return [.. values.Distinct(StringComparer.Ordinal)];
    }

    public string? Text(string name, string? value)
    {
        if (value is null || StorageLimits.IsStorableIdentifier(value)) return value;
        Fail(name, $"must be 1 to {StorageLimits.MaxIdentifierLength} characters without control characters");
        return null;
    }

    /// <summary>The cursor of a walk through this query, or null to start one; a forged or foreign cursor is an error.</summary>
    public async Task<Cursor?> CursorAsync(CursorCodec cursors, string? text, string query, CancellationToken cancellationToken)
    {
        if (text is null) return null;
        if (await cursors.DecodeAsync(text, query, cancellationToken) is { } cursor) return cursor;
        Fail("cursor", "is not a cursor this API issued for this query: pass next_cursor from the previous page, with the same filters");
        return null;
    }
}
