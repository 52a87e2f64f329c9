using System.Buffers;
using System.Globalization;

namespace Receiver.Wallet;

/// <summary>
/// The value of the header AP signs a wallet's status callback with: <c>Signature: t=1718000000, s=BASE64</c>
/// (ClientStatusCallbackHandler@4.3.0 writes <c>String.format("t=%s, s=%s", ...)</c>; older anchors send the same value
/// as <c>X-Stellar-Signature</c>). <paramref name="Timestamp"/> is the Unix time in seconds that was signed,
/// <paramref name="Signature"/> the 64-byte Ed25519 signature.
/// </summary>
internal readonly record struct CallbackSignatureHeader(long Timestamp, byte[] Signature)
{
    private const int SignatureLength = 64;
    private const int EncodedSignatureLength = (SignatureLength + 2) / 3 * 4;
    private static readonly SearchValues<char> Base64Characters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

    // Twelve digits reach the year 33658: more than any clock, few enough that a long never overflows.
    private const int MaxTimestampDigits = 12;

    /// <summary>
    /// Reads <c>t=&lt;seconds&gt;, s=&lt;base64&gt;</c>: members separated by commas, spaces around them and around
    /// <c>=</c> allowed, in either order, each exactly once, nothing else. <c>t</c> is written as AP writes it (digits,
    /// no sign, no leading zero), because the verifier signs its decimal form again and any other spelling could not
    /// have been what AP signed. When it returns false, <paramref name="problem"/> says what is wrong, in words fit for
    /// the 401 that refuses the callback.
    /// </summary>
    public static bool TryParse(string? value, out CallbackSignatureHeader header, out string? problem)
    {
        header = default;
        problem = Read(value, out var timestamp, out var signature);
        if (problem is not null) return false;
        header = new CallbackSignatureHeader(timestamp, signature!);
        return true;
    }

    private static string? Read(string? value, out long timestamp, out byte[]? signature)
    {
        timestamp = 0;
        signature = null;
        if (string.IsNullOrWhiteSpace(value)) return "the Signature header is empty";

        string? t = null, s = null;
        foreach (var member in value.Split(','))
        {
            var equals = member.IndexOf('=');
            if (equals < 0) return member.Trim().Length == 0 ? "the Signature header has an empty member" : "the Signature header has a member without '='";
            var key = member[..equals].Trim();
            var text = member[(equals + 1)..].Trim();
            switch (key)
            {
                case "t" when t is not null:
                case "s" when s is not null:
                    return $"the Signature header has {key} twice";
                case "t":
                    t = text;
                    break;
                case "s":
                    s = text;
                    break;
                default:
                    return "the Signature header has a member other than t and s";
            }
        }
        if (t is null) return "the Signature header has no t";
        if (s is null) return "the Signature header has no s";

        if (t.Length == 0 || t.AsSpan().ContainsAnyExceptInRange('0', '9')) return "t is not a whole number of seconds";
        if (t.Length > MaxTimestampDigits) return $"t is longer than {MaxTimestampDigits} digits";
        if (t.Length > 1 && t[0] == '0') return "t has a leading zero";

        // Java's Base64.getEncoder(), as AP uses it, pads; .NET's decoder would also take spaces, and no padding.
        if (s.Length % 4 != 0 || s.AsSpan().ContainsAnyExcept(Base64Characters)) return "s is not base64";
        if (s.Length > EncodedSignatureLength) return $"s is not {SignatureLength} bytes";
        Span<byte> decoded = stackalloc byte[EncodedSignatureLength / 4 * 3];
        if (!Convert.TryFromBase64String(s, decoded, out var written)) return "s is not base64";
        if (written != SignatureLength) return $"s is not {SignatureLength} bytes";

        timestamp = long.Parse(t, CultureInfo.InvariantCulture);
        signature = decoded[..written].ToArray();
        return null;
    }
}
