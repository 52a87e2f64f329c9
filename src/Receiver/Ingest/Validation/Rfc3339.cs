using System.Globalization;

namespace Receiver.Ingest.Validation;

/// <summary>
/// RFC 3339 date-times as AP writes them: <c>2024-09-25T18:59:32.123456789Z</c>, with 0 to 9 fractional
/// digits (Java's ISO_INSTANT), which .NET's own parsers stop at 7 of.
/// </summary>
public static class Rfc3339
{
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        // yyyy-MM-ddTHH:mm:ss, then an optional fraction, then Z or ±hh:mm.
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't'
            || text[13] != ':' || text[16] != ':')
            return false;
        if (!TryDigits(text[..4], out var year) || !TryDigits(text[5..7], out var month) || !TryDigits(text[8..10], out var day)
            || !TryDigits(text[11..13], out var hour) || !TryDigits(text[14..16], out var minute) || !TryDigits(text[17..19], out var second))
            return false;

        var rest = text[19..];
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

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month)
            || hour > 23 || minute > 59 || second > 59 || year < 1)
            return false;
        try
        {
            value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // The offset pushes the instant outside DateTimeOffset's range (year 1 or 9999).
            return false;
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
