using System.Globalization;
using System.Text;
using NSec.Cryptography;

namespace Receiver.Wallet;

/// <summary>
/// The signature AP puts on a wallet's status callback (ClientStatusCallbackHandler@4.3.0,
/// <c>buildHttpRequest</c>): Ed25519, with the anchor's SEP-10 signing seed, over the UTF-8 bytes of
/// <c>&lt;t&gt;.&lt;host&gt;.&lt;body&gt;</c>, where <c>t</c> is the Unix time in seconds sent in the header, <c>host</c>
/// is the callback URL's host as AP reads it (<see cref="HostOf"/>) and <c>body</c> is the request body exactly as sent.
/// Binding the host means a callback signed for one wallet cannot be replayed to another; binding <c>t</c> lets the
/// wallet refuse old ones.
/// </summary>
internal static class CallbackSignature
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>The exact bytes AP signs: <c>t</c> in ASCII decimal, '.', the host in UTF-8, '.', the body.</summary>
    public static byte[] SignedBytes(long timestamp, string host, ReadOnlySpan<byte> body)
    {
        var signed = new byte[SignedLength(timestamp, host, body)];
        WriteSigned(signed, timestamp, host, body);
        return signed;
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is the anchor's signature of this callback. False, never an exception, for
    /// a key that is not an Ed25519 public key or a signature that is not 64 bytes: whatever a caller sends is at most
    /// a callback that is refused.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, long timestamp, string host, ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519.SignatureSize
            || !PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key))
            return false;

        return Ed25519.Verify(key!, SignedBytes(timestamp, host, body), signature);
    }

    /// <summary>
    /// The host AP signs for a callback URL: NetUtil@4.3.0 <c>getDomainFromURL</c> is Java's
    /// <c>new URL(url).getHost()</c>, plus <c>":" + getPort()</c> when <c>getPort()</c> is not -1. Java's URL keeps
    /// the host as written (no lower-casing; an IPv6 literal keeps its brackets and its spelling), and
    /// <c>getPort()</c> is -1 only when the URL names no port: <c>https://w.example:443/cb</c> signs
    /// <c>w.example:443</c>, <c>https://w.example/cb</c> signs <c>w.example</c>, and an empty port
    /// (<c>https://w.example:/cb</c>) counts as none. .NET's <see cref="Uri"/> lower-cases and normalizes the host and
    /// cannot tell an explicit default port from none, so the host and port are read from the URL as written; the port
    /// is written as the number Java parses (<c>:0443</c> signs <c>:443</c>).
    /// </summary>
    public static string HostOf(Uri callbackUrl)
    {
        if (!callbackUrl.IsAbsoluteUri) throw new ArgumentException($"A callback URL is absolute: '{callbackUrl}' is not.", nameof(callbackUrl));

        var written = callbackUrl.OriginalString.AsSpan().Trim();
        var schemeEnd = written.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0) throw new ArgumentException($"A callback URL names a host: '{callbackUrl}' does not.", nameof(callbackUrl));
        var authority = written[(schemeEnd + 3)..];
        var authorityEnd = authority.IndexOfAny("/?#\\");
        if (authorityEnd >= 0) authority = authority[..authorityEnd];
        authority = authority[(authority.LastIndexOf('@') + 1)..];

        // An IPv6 literal's colons are inside its brackets; the port, if any, follows the closing one.
        var colon = authority.StartsWith('[') ? authority.IndexOf(']') + 1 : authority.LastIndexOf(':');
        var named = colon > 0 && colon < authority.Length && authority[colon] == ':';
        var host = named ? authority[..colon] : authority;
        var port = named ? authority[(colon + 1)..] : [];
        return port.IsEmpty ? host.ToString() : string.Create(CultureInfo.InvariantCulture, $"{host}:{callbackUrl.Port}");
    }

    private static int SignedLength(long timestamp, string host, ReadOnlySpan<byte> body) =>
        DecimalLength(timestamp) + 1 + Encoding.UTF8.GetByteCount(host) + 1 + body.Length;

    private static void WriteSigned(Span<byte> destination, long timestamp, string host, ReadOnlySpan<byte> body)
    {
        timestamp.TryFormat(destination, out var at, provider: CultureInfo.InvariantCulture);
        destination[at++] = (byte)'.';
        at += Encoding.UTF8.GetBytes(host, destination[at..]);
        destination[at++] = (byte)'.';
        body.CopyTo(destination[at..]);
    }

    private static int DecimalLength(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
        return length;
    }
}
