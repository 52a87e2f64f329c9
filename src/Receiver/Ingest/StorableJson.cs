using System.Buffers.Text;
using System.Text.Json;

namespace Receiver.Ingest;

/// <summary>
/// What JSON allows but PostgreSQL cannot hold as <c>jsonb</c> (the state tables, and the query API's reads of stored
/// bodies): a <c>\u0000</c> escape; an escaped surrogate that is not half of a pair, which stands for no character
/// (System.Text.Json cannot read it as a string either); and a number beyond <c>numeric</c>, which holds at most
/// 131072 digits before the decimal point and 16383 after it.
/// </summary>
internal static class StorableJson
{
    private const int MaxIntegerDigits = 131072;
    private const int MaxFractionDigits = 16383;

    /// <summary>
    /// Why PostgreSQL could not store the body, or null. Run before the parse, which reads member names and would
    /// throw on an unpaired surrogate; a body that is not JSON passes here, for the parse to say what is wrong.
    /// </summary>
    public static string? Problem(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                var problem = reader.TokenType switch
                {
                    JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped => EscapeProblem(reader.ValueSpan),
                    JsonTokenType.Number when !FitsNumeric(reader.ValueSpan) =>
                        "the body must not contain a number beyond PostgreSQL's numeric (131072 digits before the point, 16383 after)",
                    _ => null,
                };
                if (problem is not null) return problem;
            }
        }
        catch (JsonException)
        {
            // Not JSON: the parse reports it.
        }
        return null;
    }

    /// <summary>The escapes of one string as written (the reader has checked that each is well formed).</summary>
    private static string? EscapeProblem(ReadOnlySpan<byte> text)
    {
        for (var at = text.IndexOf((byte)'\\'); at >= 0;)
        {
            var length = 2;
            if (text[at + 1] == (byte)'u')
            {
                length = 6;
                var unit = CodeUnit(text.Slice(at + 2, 4));
                if (unit == 0) return "the body must not contain \\u0000: PostgreSQL cannot store that character in JSON";
                if (char.IsHighSurrogate(unit) && at + 12 <= text.Length && text[at + 6] == (byte)'\\' && text[at + 7] == (byte)'u'
                    && char.IsLowSurrogate(CodeUnit(text.Slice(at + 8, 4))))
                    length = 12;
                else if (char.IsSurrogate(unit))
                    return "the body must not contain an escaped surrogate that is not half of a pair, such as \\ud800: it stands for no character";
            }
            var next = text[(at + length)..].IndexOf((byte)'\\');
            at = next < 0 ? -1 : at + length + next;
        }
        return null;
    }

    private static char CodeUnit(ReadOnlySpan<byte> hex) =>
        Utf8Parser.TryParse(hex, out ushort value, out _, 'x') ? (char)value : throw new FormatException("not a \\u escape");

    /// <summary>Whether PostgreSQL's numeric holds the JSON number (its grammar already checked by the reader).</summary>
    private static bool FitsNumeric(ReadOnlySpan<byte> number)
    {
        if (number[0] == (byte)'-') number = number[1..];
        var e = number.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? number : number[..e];
        long exponent = 0;
        if (e >= 0)
        {
            var digits = number[(e + 1)..];
            var negative = digits[0] == (byte)'-';
            if (digits[0] is (byte)'-' or (byte)'+') digits = digits[1..];
            digits = digits.TrimStart((byte)'0');
            // PostgreSQL refuses an exponent of 2^30 - 1 or more, even on zero.
            if (digits.Length > 10 || !Utf8Parser.TryParse(digits.IsEmpty ? "0"u8 : digits, out exponent, out _) || exponent >= int.MaxValue / 2)
                return false;
            if (negative) exponent = -exponent;
        }

        var point = mantissa.IndexOf((byte)'.');
        var whole = point < 0 ? mantissa : mantissa[..point];
        var fraction = point < 0 ? [] : mantissa[(point + 1)..];
        // Digits after the point, as written (numeric keeps trailing zeros: 1.50 has two), moved by the exponent.
        if (fraction.Length - exponent > MaxFractionDigits) return false;
        // Digits before the point, from the first significant one (negative for 0.00...).
        var first = whole.IndexOfAnyExcept((byte)'0');
        long integerDigits;
        if (first >= 0)
            integerDigits = whole.Length - first;
        else if (fraction.IndexOfAnyExcept((byte)'0') is var firstInFraction and >= 0)
            integerDigits = -firstInFraction;
        else
            return true; // zero
        return integerDigits + exponent <= MaxIntegerDigits;
    }
}
