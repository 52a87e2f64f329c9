using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Receiver.Tests.Wallet;

/// <summary>The corpus holds together: compact Gson-like JSON, a SEP its shape gives away, the ids it carries.</summary>
public class ApCallbacksTests
{
    public static IEnumerable<object[]> Names => ApCallbacks.All.Keys.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_body_is_compact_json_with_nothing_escaped_that_gson_leaves_alone(string name)
    {
        var body = ApCallbacks.All[name]();
        using var document = JsonDocument.Parse(body);
        var written = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(written, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            document.WriteTo(writer);

        Assert.Equal(body, Encoding.UTF8.GetString(written.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_shape_of_a_body_gives_its_sep(string name) =>
        Assert.Equal(ApCallbacks.SepOfName[name], ApCallbacks.SepOf(ApCallbacks.All[name]()));

    [Theory]
    [MemberData(nameof(Names))]
    public void A_body_names_its_transaction_or_customer_and_only_old_sep6_bodies_have_updated_at(string name)
    {
        var callback = ApCallbacks.Get(name);

        if (callback.Sep == "12")
            Assert.True(Guid.TryParse(callback.CustomerId, out _));
        else
        {
            Assert.True(Guid.TryParse(callback.TransactionId, out _));
            Assert.NotNull(callback.Status);
        }
        var readFromDatabase = callback.Sep == "6" && (name.EndsWith("@3.1.4", StringComparison.Ordinal) || name.EndsWith("@2.x", StringComparison.Ordinal));
        Assert.Equal(readFromDatabase, callback.UpdatedAt is not null);
    }

    [Theory]
    [InlineData("https://wallet.example.com/callbacks/sep24", "wallet.example.com")]
    [InlineData("http://localhost:8092/callbacks/sep24", "localhost:8092")]
    [InlineData("https://Wallet.Example.COM:443/x?y=1", "Wallet.Example.COM:443")]
    [InlineData("https://user:pw@wallet.example/x", "wallet.example")]
    [InlineData("http://[::1]:8080/cb", "[::1]:8080")]
    [InlineData("https://wallet.example:/x", "wallet.example")]
    [InlineData("https://wallet.example?x=1", "wallet.example")]
    public void The_signed_host_is_java_url_host_and_the_port_when_written(string url, string host) =>
        Assert.Equal(host, ApCallbacks.HostOf(url));

    [Fact]
    public void A_jvm_with_an_ascii_default_charset_signs_each_non_ascii_character_as_a_question_mark() =>
        Assert.Equal("1719822000.w.ex.{\"m\":\"a?b?c\"}"u8.ToArray(), ApCallbacks.AsciiSigned(ApCallbacks.SignedText(1719822000, "w.ex", "{\"m\":\"a\u00e9b\U0001F600c\"}")));

    [Fact]
    public void The_signature_header_puts_a_comma_and_one_space_between_t_and_s() =>
        Assert.Equal("t=1719822000, s=" + new string('A', 86) + "==", ApCallbacks.SignatureHeader(1719822000, new byte[64]));
}
