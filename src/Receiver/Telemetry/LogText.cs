using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Receiver.Telemetry;

/// <summary>
/// Text from outside (a request's body or headers, AP's Platform API, an error that quotes them) made safe for a log
/// line. The console's simple formatter writes values as they are, so a CR or LF in a member name would end the line
/// and let the rest pose as a line of its own; the JSON formatter escapes by itself, and gets the same text either way.
/// </summary>
internal static class LogText
{
    /// <summary>
    /// The value with every control character (C0, DEL, C1) and Unicode line or paragraph separator written as
    /// <c>\uXXXX</c>; the same string when there is none, which is nearly always.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? Escape(string? value)
    {
        if (value is null || !value.Any(NeedsEscape)) return value;
        var escaped = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (NeedsEscape(c)) escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
