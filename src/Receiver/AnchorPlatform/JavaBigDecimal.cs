using System.Globalization;

namespace Receiver.AnchorPlatform;

/// <summary>
/// The text Java's <c>new BigDecimal(String)</c> accepts: AP reads the amounts it checks that way and then passes the
/// text on as it was written (docs/anchor-platform.md: "Amounts"). An optional <c>+</c> or <c>-</c>; digits with an
/// optional point and fraction (<c>.5</c> and <c>10.</c> too, not <c>.</c> alone); an optional exponent, <c>e</c> or
/// <c>E</c> with an optional sign and digits, whose value fits an int, as does the scale it gives (fraction digits less
/// the exponent). No spaces, grouping, hex, <c>NaN</c> or <c>Infinity</c>.
/// </summary>
/// <remarks>
/// Digits are any of the Unicode decimal digits in the Basic Multilingual Plane (<c>٣</c>, <c>５</c>), as
/// <c>Character.digit</c> reads them: BigDecimal accepts them, and SEP-6 keeps the wallet's text verbatim after
/// parsing it, so refusing them would refuse what AP sends. Receiver never computes with an amount.
/// </remarks>
internal static class JavaBigDecimal
{
    /// <summary>More exponent digits than this after leading zeros cannot fit an int (BigDecimal's own cut).</summary>
    private const int MaxExponentDigits = 10;

    public static bool IsValid(ReadOnlySpan<char> text)
    {
        if (text.Length > 0 && text[0] is '+' or '-') text = text[1..];
        var exponentAt = text.IndexOfAny('e', 'E');
        var significand = exponentAt < 0 ? text : text[..exponentAt];
        var point = significand.IndexOf('.');
        var whole = point < 0 ? significand : significand[..point];
        var fraction = point < 0 ? [] : significand[(point + 1)..];
        if (whole.Length + fraction.Length == 0 || !AllDigits(whole) || !AllDigits(fraction)) return false;

        long exponent = 0;
        if (exponentAt >= 0 && !TryExponent(text[(exponentAt + 1)..], out exponent)) return false;
        var scale = fraction.Length - exponent;
        return scale is >= int.MinValue and <= int.MaxValue;
    }

    private static bool TryExponent(ReadOnlySpan<char> text, out long exponent)
    {
        exponent = 0;
        var negative = text.Length > 0 && text[0] == '-';
        if (text.Length > 0 && text[0] is '+' or '-') text = text[1..];
        if (text.IsEmpty || !AllDigits(text)) return false;
        while (text.Length > MaxExponentDigits && DigitValue(text[0]) == 0) text = text[1..];
        if (text.Length > MaxExponentDigits) return false;
        foreach (var c in text) exponent = exponent * 10 + DigitValue(c);
        if (negative) exponent = -exponent;
        return exponent is >= int.MinValue and <= int.MaxValue;
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsDigit(c)) return false;
        }
        return true;
    }

    private static int DigitValue(char c) => CharUnicodeInfo.GetDecimalDigitValue(c);
}
