using System.Text;
using NSec.Cryptography;
using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

/// <summary>
/// An anchor's SEP-10 signing key, made for the test, signing callbacks as AP does (ClientStatusCallbackHandler and
/// NetUtil at 4.3.0): Ed25519 over the UTF-8 bytes of <c>t.host.body</c>, sent as <c>Signature: t=..., s=...</c>.
/// Signs with NSec itself, not with the receiver's code.
/// </summary>
public sealed class AnchorSigner : IDisposable
{
    private readonly Key _key = Key.Create(
        SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    /// <summary>The key as stellar.toml's <c>SIGNING_KEY</c> names it.</summary>
    public string AccountId => StrKey.EncodeAccountId(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    /// <summary>The seed as AP's <c>SECRET_SEP10_SIGNING_SEED</c> holds it.</summary>
    public string Seed => StrKey.EncodeSeed(_key.Export(KeyBlobFormat.RawPrivateKey));

    public string Header(string host, string body, DateTimeOffset signedAt) => Header(host, Encoding.UTF8.GetBytes(body), signedAt);

    public string Header(string host, byte[] body, DateTimeOffset signedAt)
    {
        var t = signedAt.ToUnixTimeSeconds();
        byte[] signed = [.. Encoding.UTF8.GetBytes($"{t}.{host}."), .. body];
        return $"t={t}, s={Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(_key, signed))}";
    }

    /// <summary>Posts <paramref name="body"/> to <paramref name="path"/> as AP sends a callback: signed now, for <paramref name="host"/>.</summary>
    public async Task<HttpResponseMessage> PostSignedAsync(HttpClient client, string path, string host, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Signature", Header(host, body, DateTimeOffset.UtcNow));
        return await client.SendAsync(request);
    }

    public void Dispose() => _key.Dispose();

    /// <summary>Signs a callback as AP does, with a 32-byte Ed25519 seed, over the bytes the receiver verifies.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, long timestamp, string host, ReadOnlySpan<byte> body)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return SignatureAlgorithm.Ed25519.Sign(key, CallbackSignature.SignedBytes(timestamp, host, body));
    }
}
