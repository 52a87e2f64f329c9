using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

public sealed class CallbackSignatureHeaderTests
{
    private static readonly byte[] Signature = [.. Enumerable.Range(1, 64).Select(i => (byte)(i * 3))];
    private static readonly string S = Convert.ToBase64String(Signature);

    public static TheoryData<string> Accepted() =>
    [
        // As ClientStatusCallbackHandler@4.3.0 writes it: String.format("t=%s, s=%s", ...).
        $"t=1718000000, s={S}",
        $"s={S}, t=1718000000",
        $"t=1718000000,s={S}",
        $"  t=1718000000 ,\ts={S}  ",
        $"t = 1718000000, s = {S}",
    ];

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AP_s_header_and_its_harmless_variations_are_read(string value)
    {
        Assert.True(CallbackSignatureHeader.TryParse(value, out var header, out var problem), problem);
        Assert.Null(problem);
        Assert.Equal(1718000000, header.Timestamp);
        Assert.Equal(Signature, header.Signature);
    }

    [Fact]
    public void Zero_and_twelve_digit_times_are_read()
    {
        Assert.True(CallbackSignatureHeader.TryParse($"t=0, s={S}", out var zero, out _));
        Assert.Equal(0, zero.Timestamp);
        Assert.True(CallbackSignatureHeader.TryParse($"t=999999999999, s={S}", out var largest, out _));
        Assert.Equal(999999999999, largest.Timestamp);
    }

    public static TheoryData<string?, string> Refused() => new()
    {
        { null, "the Signature header is empty" },
        { "", "the Signature header is empty" },
        { "   ", "the Signature header is empty" },
        { $"s={S}", "the Signature header has no t" },
        { "t=1718000000", "the Signature header has no s" },
        { $"t=1718000000, t=1718000001, s={S}", "the Signature header has t twice" },
        { $"t=1718000000, s={S}, s={S}", "the Signature header has s twice" },
        { $"t=1718000000, s={S}, v1=abc", "the Signature header has a member other than t and s" },
        { $"T=1718000000, s={S}", "the Signature header has a member other than t and s" },
        { $"t=1718000000, , s={S}", "the Signature header has an empty member" },
        { $"t=1718000000, s={S},", "the Signature header has an empty member" },
        { $"t1718000000, s={S}", "the Signature header has a member without '='" },
        { $"t=abc, s={S}", "t is not a whole number of seconds" },
        { $"t=, s={S}", "t is not a whole number of seconds" },
        { $"t=-1, s={S}", "t is not a whole number of seconds" },
        { $"t=+1718000000, s={S}", "t is not a whole number of seconds" },
        { $"t=1718000000.5, s={S}", "t is not a whole number of seconds" },
        { $"t=1718000000; s={S}", "the Signature header has no s" },
        { $"t=1234567890123, s={S}", "t is longer than 12 digits" },
        { $"t=01718000000, s={S}", "t has a leading zero" },
        { "t=1718000000, s=not base64!", "s is not base64" },
        { $"t=1718000000, s={S[..40]} {S[40..]}", "s is not base64" },
        { $"t=1718000000, s={S.TrimEnd('=')}", "s is not base64" },
        { $"t=1718000000, s={Convert.ToBase64String(Signature.AsSpan(0, 63))}", "s is not 64 bytes" },
        { $"t=1718000000, s={Convert.ToBase64String([.. Signature, 0])}", "s is not 64 bytes" },
        { $"t=1718000000, s={Convert.ToBase64String(new byte[1000])}", "s is not 64 bytes" },
        { "t=1718000000, s=", "s is not 64 bytes" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_malformed_header_is_refused_with_what_is_wrong(string? value, string expected)
    {
        Assert.False(CallbackSignatureHeader.TryParse(value, out var header, out var problem));
        Assert.Equal(expected, problem);
        Assert.Equal(default, header);
    }
}
