using NSec.Cryptography;
using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

public sealed class StrKeyTests
{
    /// <summary>
    /// Seeds and the account ids of their keys, from java-stellar-sdk's KeyPairTest (<c>testFromSecretSeed</c>), the
    /// SDK AP itself signs with. Each pair is checked here by deriving the public key from the decoded seed.
    /// </summary>
    public static TheoryData<string, string> JavaSdkKeyPairs() => new()
    {
        { "SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBE", "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D" },
        { "SDTQN6XUC3D2Z6TIG3XLUTJIMHOSON2FMSKCTM2OHKKH2UX56RQ7R5Y4", "GDEAOZWTVHQZGGJY6KG4NAGJQ6DXATXAJO3AMW7C4IXLKMPWWB4FDNFZ" },
        { "SDIREFASXYQVEI6RWCQW7F37E6YNXECQJ4SPIOFMMMJRU5CMDQVW32L5", "GD2EVR7DGDLNKWEG366FIKXO2KCUAIE3HBUQP4RNY7LEZR5LDKBYHMM6" },
    };

    [Theory]
    [MemberData(nameof(JavaSdkKeyPairs))]
    public void A_seed_decodes_to_the_key_whose_account_id_the_Java_SDK_gives(string seedText, string accountId)
    {
        Assert.True(StrKey.TryDecodeSeed(seedText, out var seed));
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

        Assert.Equal(accountId, StrKey.EncodeAccountId(publicKey));
        Assert.True(StrKey.TryDecodeAccountId(accountId, out var decoded));
        Assert.Equal(publicKey, decoded);
        Assert.Equal(seedText, StrKey.EncodeSeed(seed));
    }

    [Fact]
    public void SEP_23s_example_account_and_seed_decode_to_their_bytes()
    {
        // rs-stellar-strkey's tests (SEP-23's vectors): an account id and a seed with the bytes they stand for.
        Assert.True(StrKey.TryDecodeAccountId("GA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQHES5", out var account));
        Assert.Equal(Convert.FromHexString("363eaa3867841fbad0f4ed88c779e4fe66e56a2470dc98c0ec9c073d05c7b103"), account);
        Assert.True(StrKey.TryDecodeSeed("SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR", out var seed));
        Assert.Equal(Convert.FromHexString("69a8c4cbb9f64e8a0798f6e1ac65d06c3162929056bcf4cdb7d3738d1855f363"), seed);
    }

    [Fact]
    public void Any_key_round_trips_through_its_text_and_only_that_text_decodes_to_it()
    {
        for (var i = 0; i < 200; i++)
        {
            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            var accountId = StrKey.EncodeAccountId(key);
            var seed = StrKey.EncodeSeed(key);

            Assert.Matches("^G[A-Z2-7]{55}$", accountId);
            Assert.Matches("^S[A-Z2-7]{55}$", seed);
            Assert.True(StrKey.TryDecodeAccountId(accountId, out var fromAccountId));
            Assert.True(StrKey.TryDecodeSeed(seed, out var fromSeed));
            Assert.Equal(key, fromAccountId);
            Assert.Equal(key, fromSeed);
        }
    }

    [Fact]
    public void A_change_to_any_one_character_is_caught_by_the_checksum_or_the_version()
    {
        const string accountId = "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D";
        for (var at = 0; at < accountId.Length; at++)
        {
            var changed = accountId.ToCharArray();
            changed[at] = changed[at] == 'A' ? 'B' : 'A';
            Assert.False(StrKey.TryDecodeAccountId(new string(changed), out _), $"changed at {at}: {new string(changed)}");
        }
    }

    public static TheoryData<string?> NotAnAccountId() =>
    [
        null,
        "",
        "hello",
        // From SEP-23's invalid cases (rs-stellar-strkey's tests): too long, too short, a length of 1 mod 8, a
        // length that decodes to 36 bytes, a version byte whose low bits are 7, padding inside the text.
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJV75ERQ",
        "GAAAAAAAACGC6",
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZA",
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUACUSI",
        "G47QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVP2I",
        "G=3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQHES5",
        // java-stellar-sdk's KeyPairTest: a bad checksum.
        "GAXDYNIBA5E4DXR5TJN522RRYESFQ5UNUXHIPTFGVLLD5O5K552DFBAD",
        // A valid account id in lower case, with padding, with a space.
        "gczhxl5hxqx5abdm26lhyrcqz5ojfhloplzx47webp3v2pf5avfk2a5d",
        "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D=",
        "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D ",
        // A seed, a muxed account and a contract: other version bytes.
        "SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBE",
        "MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAJLK",
        "CA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQGAXE",
    ];

    [Theory]
    [MemberData(nameof(NotAnAccountId))]
    public void Anything_but_an_account_id_is_refused(string? text)
    {
        Assert.False(StrKey.TryDecodeAccountId(text, out var key));
        Assert.Empty(key);
    }

    public static TheoryData<string?> NotASeed() =>
    [
        null,
        "",
        // java-stellar-sdk's KeyPairTest and rs-stellar-strkey's tests: a '1' (not base32) and a seed too long.
        "SBWUBZ3SIPLLF5CCXLWUB2Z6UBTYAW34KVXOLRQ5HDAZG4ZY7MHNBWJ1",
        "SA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJV764SE",
        "masterpassphrasemasterpassphrase",
        // An account id, and a seed with its last character changed.
        "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D",
        "SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBF",
        "sdjhrqf4gcmiikaaaq6ihy42x73fqflhuulapskkd4dfdm7uxwwcrhbe",
    ];

    [Theory]
    [MemberData(nameof(NotASeed))]
    public void Anything_but_a_seed_is_refused(string? text)
    {
        Assert.False(StrKey.TryDecodeSeed(text, out var seed));
        Assert.Empty(seed);
    }

    [Fact]
    public void Only_a_32_byte_key_is_encoded()
    {
        Assert.Throws<ArgumentException>(() => StrKey.EncodeAccountId(new byte[31]));
        Assert.Throws<ArgumentException>(() => StrKey.EncodeSeed(new byte[33]));
    }
}
