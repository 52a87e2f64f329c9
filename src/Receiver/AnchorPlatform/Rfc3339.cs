using System.Globalization;

namespace Receiver.AnchorPlatform;

/// <summary>
/// RFC 3339 date-times as AP writes them: <c>2024-09-25T18:59:32.123456789Z</c>, with 0 to 9 fractional
/// digits (Java's ISO_INSTANT), which .NET's own parsers stop at 7 of.
/// </summary>
public static class Rfc3339
{
    /// <summary>A date-time of years 1 to 9999, as settings and query parameters take it.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value) => TryParse(text, anyYear: false, out value);

    /// <summary>
    /// An instant in an event, as Java's ISO_INSTANT writes any <c>Instant</c>: also a year beyond 9999, signed
    /// (<c>+10000-01-01T00:00:00Z</c>), and one before 1 (<c>0000-…</c>, <c>-0001-…</c>). AP passes on what an anchor
    /// sets through PATCH /transactions, the JSON-RPC actions or the rate callback without bounding the year
    /// (docs/anchor-platform.md, "What Receiver checks"). DateTimeOffset holds neither, so such an instant reads as
    /// <see cref="DateTimeOffset.MaxValue"/> or <see cref="DateTimeOffset.MinValue"/>: it orders after or before
    /// every other, and its text stays as sent in the stored event.
    /// </summary>
    public static bool TryParseInstant(ReadOnlySpan<char> text, out DateTimeOffset value) => TryParse(text, anyYear: true, out value);

    private static bool TryParse(ReadOnlySpan<char> text, bool anyYear, out DateTimeOffset value)
    {
        value = default;
        // ISO_INSTANT's year: four digits, or a sign and more (a '+' only past four digits).
        long year;
        var yearLength = 4;
        if (anyYear && text.Length > 0 && text[0] is '+' or '-')
        {
            var digits = text[1..].IndexOfAnyExceptInRange('0', '9');
            if (digits is < 4 or > 10 || (text[0] == '+' && digits < 5)) return false;
            yearLength = 1 + digits;
            year = long.Parse(text[1..yearLength], NumberStyles.None, CultureInfo.InvariantCulture) * (text[0] == '-' ? -1 : 1);
        }
        else if (text.Length < 4 || !TryDigits(text[..4], out var fourDigits))
            return false;
        else
            year = fourDigits;

        // -MM-ddTHH:mm:ss, then an optional fraction, then Z or ±hh:mm.
        var time = text[yearLength..];
        if (time.Length < 16 || time[0] != '-' || time[3] != '-' || (time[6] | 0x20) != 't' || time[9] != ':' || time[12] != ':')
            return false;
        if (!TryDigits(time[1..3], out var month) || !TryDigits(time[4..6], out var day)
            || !TryDigits(time[7..9], out var hour) || !TryDigits(time[10..12], out var minute) || !TryDigits(time[13..15], out var second))
            return false;

        var rest = time[15..];
        long ticks = 0;
        if (rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits])) digits++;
            var fraction = rest[1..digits];
            if (fraction.Length is 0 or > 9) return false;
            // 7 digits are ticks (100 ns); finer digits are below what DateTimeOffset holds.
            for (var i = 0; i < 7; i++) ticks = ticks * 10 + (i < fraction.Length ? fraction[i] - '0' : 0);
            rest = rest[digits..];
        }

        TimeSpan offset;
        if (rest.Length == 1 && (rest[0] | 0x20) == 'z')
            offset = TimeSpan.Zero;
        else if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':'
                 && TryDigits(rest[1..3], out var offsetHours) && TryDigits(rest[4..6], out var offsetMinutes)
                 && offsetHours <= 23 && offsetMinutes <= 59)
            offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (rest[0] == '-' ? -1 : 1);
        else
            return false;

        // Leap years repeat every 400 years, so a year in range with the same remainder has the same February.
        var sameCalendarYear = (int)(((year % 400) + 400) % 400) + 2000;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(sameCalendarYear, month)
            || hour > 23 || minute > 59 || second > 59)
            return false;
        if (year is < 1 or > 9999)
        {
            if (!anyYear) return false;
            value = year < 1 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;
            return true;
        }
        try
        {
            value = new DateTimeOffset((int)year, month, day, hour, minute, second, offset).AddTicks(ticks);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // The offset pushes the instant outside DateTimeOffset's range (year 1 or 9999).
            if (!anyYear) return false;
            value = year == 1 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;
            return true;
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
