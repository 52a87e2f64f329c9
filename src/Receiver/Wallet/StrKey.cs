using System.Security.Cryptography;

namespace Receiver.Wallet;

/// <summary>
/// Stellar's strkey text for Ed25519 keys (SEP-23): base32 (RFC 4648 alphabet, upper case, no padding) of a version
/// byte, the 32-byte key and a CRC16-XModem checksum of both, little-endian. An anchor publishes its signing key as an
/// account id ("G...") in its stellar.toml, and AP reads its signing seed ("S...") from
/// <c>SECRET_SEP10_SIGNING_SEED</c>. Those 35 bytes are 280 bits, exactly 56 base32 symbols: no padding and no unused
/// trailing bits, so a text of any other length is refused before anything else is read.
/// </summary>
internal static class StrKey
{
    private const byte AccountIdVersion = 6 << 3;
    private const byte SeedVersion = 18 << 3;
    private const int KeyLength = 32;
    private const int RawLength = 1 + KeyLength + 2;
    private const int TextLength = RawLength * 8 / 5;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>An account id ("G...") as the 32-byte Ed25519 public key; false for anything that is not exactly one.</summary>
    public static bool TryDecodeAccountId(string? text, out byte[] publicKey) => TryDecode(text, AccountIdVersion, out publicKey);

    /// <summary>
    /// A secret seed ("S...") as the 32-byte Ed25519 seed; false for anything that is not exactly one. The seed is a
    /// secret: the caller clears it (<see cref="CryptographicOperations.ZeroMemory"/>) once it has used it.
    /// </summary>
    public static bool TryDecodeSeed(string? text, out byte[] seed) => TryDecode(text, SeedVersion, out seed);

    public static string EncodeAccountId(ReadOnlySpan<byte> publicKey) => Encode(AccountIdVersion, publicKey);

    public static string EncodeSeed(ReadOnlySpan<byte> seed) => Encode(SeedVersion, seed);

    private static bool TryDecode(string? text, byte version, out byte[] key)
    {
        key = [];
        if (text is null || text.Length != TextLength) return false;

        Span<byte> raw = stackalloc byte[RawLength];
        try
        {
            // Eight symbols are 40 bits, five bytes; 56 symbols are seven such groups.
            for (var group = 0; group < TextLength / 8; group++)
            {
                ulong bits = 0;
                for (var i = 0; i < 8; i++)
                {
                    // IndexOf finds upper case only: lower case and '=' are refused, as SEP-23 requires.
                    var value = Alphabet.IndexOf(text[group * 8 + i], StringComparison.Ordinal);
                    if (value < 0) return false;
                    bits = bits << 5 | (uint)value;
                }
                for (var i = 0; i < 5; i++) raw[group * 5 + i] = (byte)(bits >> (32 - 8 * i));
            }

            var checksum = Crc16XModem(raw[..^2]);
            if (raw[0] != version || raw[^2] != (byte)checksum || raw[^1] != (byte)(checksum >> 8)) return false;
            key = raw[1..^2].ToArray();
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    private static string Encode(byte version, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength) throw new ArgumentException($"A key is {KeyLength} bytes, not {key.Length}.", nameof(key));

        Span<byte> raw = stackalloc byte[RawLength];
        raw[0] = version;
        key.CopyTo(raw[1..]);
        var checksum = Crc16XModem(raw[..^2]);
        raw[^2] = (byte)checksum;
        raw[^1] = (byte)(checksum >> 8);

        Span<char> text = stackalloc char[TextLength];
        for (var group = 0; group < TextLength / 8; group++)
        {
            ulong bits = 0;
            for (var i = 0; i < 5; i++) bits = bits << 8 | raw[group * 5 + i];
            for (var i = 0; i < 8; i++) text[group * 8 + i] = Alphabet[(int)(bits >> (35 - 5 * i)) & 31];
        }
        var encoded = new string(text);
        CryptographicOperations.ZeroMemory(raw);
        return encoded;
    }

    /// <summary>CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, as every Stellar SDK computes it.</summary>
    private static ushort Crc16XModem(ReadOnlySpan<byte> bytes)
    {
        var crc = 0;
        foreach (var b in bytes)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? crc << 1 ^ 0x1021 : crc << 1;
        }
        return (ushort)crc;
    }
}
