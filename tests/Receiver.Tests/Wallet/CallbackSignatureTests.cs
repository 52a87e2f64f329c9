using System.Text;
using NSec.Cryptography;
using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

public sealed class CallbackSignatureTests
{
    private const long T = 1718000000;
    private const string Host = "wallet.example:8443";
    private static readonly byte[] Body = """{"transaction":{"id":"bc79b203","status":"pending_user_transfer_start"}}"""u8.ToArray();

    [Fact]
    public void The_signed_bytes_are_t_dot_host_dot_body()
    {
        Assert.Equal(
            Encoding.UTF8.GetBytes("""1718000000.wallet.example:8443.{"transaction":{"id":"bc79b203","status":"pending_user_transfer_start"}}"""),
            CallbackSignature.SignedBytes(T, Host, Body));

        // The host in UTF-8, and the body as bytes, whatever they are.
        byte[] expected = [.. "0.b\u00fccher.example."u8, 0xff];
        Assert.Equal(expected, CallbackSignature.SignedBytes(0, "b\u00fccher.example", [0xff]));
    }

    [Fact]
    public void What_is_signed_with_a_seed_is_verified_with_its_public_key()
    {
        using var key = NewKey();
        var seed = key.Export(KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

        var signature = AnchorSigner.Sign(seed, T, Host, Body);

        Assert.Equal(64, signature.Length);
        Assert.Equal(SignatureAlgorithm.Ed25519.Sign(key, CallbackSignature.SignedBytes(T, Host, Body)), signature);
        Assert.True(CallbackSignature.Verify(publicKey, T, Host, Body, signature));
    }

    [Fact]
    public void A_large_body_is_verified_too()
    {
        using var key = NewKey();
        var body = new byte[3_000_000];
        Random.Shared.NextBytes(body);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, CallbackSignature.SignedBytes(T, Host, body));

        Assert.True(CallbackSignature.Verify(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), T, Host, body, signature));
        body[^1] ^= 1;
        Assert.False(CallbackSignature.Verify(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), T, Host, body, signature));
    }

    [Fact]
    public void Any_change_to_what_was_signed_fails_verification()
    {
        using var key = NewKey();
        using var otherKey = NewKey();
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, CallbackSignature.SignedBytes(T, Host, Body));

        var body = Body.ToArray();
        body[10] ^= 0x20;
        Assert.False(CallbackSignature.Verify(publicKey, T, Host, body, signature), "another body");
        Assert.False(CallbackSignature.Verify(publicKey, T, Host, [.. Body, (byte)' '], signature), "a longer body");
        Assert.False(CallbackSignature.Verify(publicKey, T, "wallet.example", Body, signature), "the host without its port");
        Assert.False(CallbackSignature.Verify(publicKey, T, "other.example:8443", Body, signature), "another host");
        Assert.False(CallbackSignature.Verify(publicKey, T + 1, Host, Body, signature), "another t");
        var tampered = signature.ToArray();
        tampered[0] ^= 1;
        Assert.False(CallbackSignature.Verify(publicKey, T, Host, Body, tampered), "another signature");
        Assert.False(CallbackSignature.Verify(otherKey.PublicKey.Export(KeyBlobFormat.RawPublicKey), T, Host, Body, signature), "another key");
    }

    [Fact]
    public void A_signature_or_key_of_the_wrong_size_fails_verification_without_an_exception()
    {
        using var key = NewKey();
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, CallbackSignature.SignedBytes(T, Host, Body));

        Assert.False(CallbackSignature.Verify(publicKey, T, Host, Body, signature[..63]));
        Assert.False(CallbackSignature.Verify(publicKey, T, Host, Body, [.. signature, 0]));
        Assert.False(CallbackSignature.Verify(publicKey[..31], T, Host, Body, signature));
        Assert.False(CallbackSignature.Verify([], T, Host, Body, signature));
    }

    public static TheoryData<string, string> Hosts() => new()
    {
        { "https://wallet.example/callbacks", "wallet.example" },
        { "https://wallet.example", "wallet.example" },
        { "https://wallet.example?id=1", "wallet.example" },
        { "https://wallet.example#status", "wallet.example" },
        // Java's URL.getPort() is the port as written, -1 only when none is: a default port is signed when named.
        { "https://wallet.example:443/callbacks", "wallet.example:443" },
        { "http://wallet.example:80/callbacks", "wallet.example:80" },
        { "http://wallet.example:8080/callbacks?id=1", "wallet.example:8080" },
        { "https://wallet.example:0443/callbacks", "wallet.example:443" },
        { "https://wallet.example:/callbacks", "wallet.example" },
        // Java's URL.getHost() keeps the host as written, without the user info.
        { "https://Wallet.Example/callbacks", "Wallet.Example" },
        { "https://user:secret@wallet.example:8443/callbacks", "wallet.example:8443" },
        { "https://bücher.example/callbacks", "bücher.example" },
        { "http://127.0.0.1:8080/callbacks", "127.0.0.1:8080" },
        // An IPv6 literal keeps its brackets (URL.getHost()'s RFC 2732 form) and its spelling.
        { "http://[::1]:8080/callbacks", "[::1]:8080" },
        { "http://[::1]/callbacks", "[::1]" },
        { "http://[0:0::1]/callbacks", "[0:0::1]" },
    };

    [Theory]
    [MemberData(nameof(Hosts))]
    public void The_host_is_the_URLs_host_and_the_port_only_when_the_URL_names_one(string url, string expected) =>
        Assert.Equal(expected, CallbackSignature.HostOf(new Uri(url)));

    [Fact]
    public void A_relative_URL_has_no_host() =>
        Assert.Throws<ArgumentException>(() => CallbackSignature.HostOf(new Uri("/callbacks", UriKind.Relative)));

    private static Key NewKey() =>
        Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
}
