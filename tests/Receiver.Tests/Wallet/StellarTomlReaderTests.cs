using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Receiver.Tests.Infrastructure;
using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

public sealed class StellarTomlReaderTests(StellarTomlReaderTests.AnchorSite site) : IClassFixture<StellarTomlReaderTests.AnchorSite>
{
    private const string SigningKey = "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D";
    private const int MaxBytes = 100 * 1024;

    /// <summary>A stellar.toml as anchors publish them (SEP-1): the key at the top, tables and arrays of tables after it.</summary>
    private const string Toml = $"""
        # Anchor's stellar.toml
        VERSION = "2.0.0"
        NETWORK_PASSPHRASE = "Test SDF Network ; September 2015"
        SIGNING_KEY = "{SigningKey}"
        WEB_AUTH_ENDPOINT = "https://anchor.example/auth"
        TRANSFER_SERVER_SEP0024 = "https://anchor.example/sep24"
        ACCOUNTS = ["GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ"]

        [DOCUMENTATION]
        ORG_NAME = "Anchor Example"
        ORG_URL = "https://anchor.example"

        [[CURRENCIES]]
        code = "USDC"
        issuer = "GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"
        status = "test"
        is_asset_anchored = true
        anchor_asset_type = "fiat"

        [[CURRENCIES]]
        code = "native"
        """;

    [Fact]
    public async Task The_top_level_signing_key_is_read()
    {
        Assert.Equal(SigningKey, await site.Reader().ReadSigningKeyAsync(site.Url("good"), CancellationToken.None));
    }

    [Fact]
    public async Task A_file_of_exactly_100_KB_is_read()
    {
        Assert.Equal(SigningKey, await site.Reader().ReadSigningKeyAsync(site.Url("largest"), CancellationToken.None));
    }

    public static TheoryData<string, string> Failures() => new()
    {
        { "missing", "answered 404" },
        { "broken", "answered 500" },
        { "no-key", "has no SIGNING_KEY" },
        { "nested-key", "has no SIGNING_KEY" },
        { "short-key", "SIGNING_KEY is not a Stellar account id" },
        { "seed-key", "SIGNING_KEY is not a Stellar account id" },
        { "number-key", "SIGNING_KEY is not a Stellar account id" },
        { "too-large", $"is larger than 100 KB" },
        { "too-large-unannounced", $"is larger than 100 KB" },
        { "not-utf8", "is not valid TOML: it is not UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Each_failure_names_the_URL_and_what_went_wrong(string path, string problem)
    {
        var url = site.Url(path);
        var failure = await Assert.ThrowsAsync<StellarTomlException>(() => site.Reader().ReadSigningKeyAsync(url, CancellationToken.None));
        Assert.Equal($"{url} {problem}", failure.Message);
    }

    [Fact]
    public async Task A_file_announced_as_too_large_is_not_read_at_all()
    {
        // The server announces 200 KB and sends almost none of it: only the Content-Length can have told.
        var url = site.Url("announced-too-large");
        var failure = await Assert.ThrowsAsync<StellarTomlException>(() => site.Reader().ReadSigningKeyAsync(url, CancellationToken.None));
        Assert.Equal($"{url} is larger than 100 KB", failure.Message);
    }

    [Theory]
    [InlineData("invalid", "(1,14) : error : Missing value after `=`.")]
    [InlineData("unterminated", "(1,19) : error : Invalid newline in a string")]
    [InlineData("duplicate-key", "(2,15) : error : Duplicate key 'SIGNING_KEY' was encountered.")]
    public async Task Invalid_TOML_is_named_with_the_parsers_first_line(string path, string parserLine)
    {
        var url = site.Url(path);
        var failure = await Assert.ThrowsAsync<StellarTomlException>(() => site.Reader().ReadSigningKeyAsync(url, CancellationToken.None));
        Assert.Equal($"{url} is not valid TOML: {parserLine}", failure.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_there_could_not_be_reached()
    {
        var url = new Uri($"http://127.0.0.1:{ReceiverProcess.FreePort()}/.well-known/stellar.toml");
        var failure = await Assert.ThrowsAsync<StellarTomlException>(() => site.Reader().ReadSigningKeyAsync(url, CancellationToken.None));
        Assert.StartsWith($"{url} could not be reached: Connection refused", failure.Message);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_could_not_be_reached()
    {
        var url = site.Url("slow");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(0.5) };
        var failure = await Assert.ThrowsAsync<StellarTomlException>(() => new StellarTomlReader(http).ReadSigningKeyAsync(url, CancellationToken.None));
        Assert.Equal($"{url} could not be reached: no answer within 0.5 s", failure.Message);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_failure_of_the_server()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(0.5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => site.Reader().ReadSigningKeyAsync(site.Url("slow"), cancel.Token));
    }

    [Fact]
    public void The_default_URL_is_SEP_1s_well_known_path() =>
        Assert.Equal(new Uri("https://anchor.example/.well-known/stellar.toml"), StellarTomlReader.DefaultUrl("anchor.example"));

    /// <summary>An anchor's web server on loopback, one path per kind of stellar.toml.</summary>
    public sealed class AnchorSite : IAsyncLifetime
    {
        private readonly HttpClient _http = new();
        private WebApplication? _app;
        private string _baseUrl = "";

        public Uri Url(string path) => new($"{_baseUrl}/{path}/.well-known/stellar.toml");

        internal StellarTomlReader Reader() => new(_http);

        public async Task InitializeAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            _baseUrl = $"http://127.0.0.1:{ReceiverProcess.FreePort()}";
            builder.WebHost.UseUrls(_baseUrl);
            _app = builder.Build();

            Serve("good", Toml);
            Serve("largest", Padded(Toml, MaxBytes));
            Serve("no-key", Toml.Replace($"SIGNING_KEY = \"{SigningKey}\"", ""));
            Serve("nested-key", Toml.Replace($"SIGNING_KEY = \"{SigningKey}\"", "") + $"\nSIGNING_KEY = \"{SigningKey}\"\n");
            Serve("short-key", "SIGNING_KEY = \"GCZHXL5HXQX5ABDM26LHYRCQZ5OJ\"\n");
            Serve("seed-key", "SIGNING_KEY = \"SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBE\"\n");
            Serve("number-key", "SIGNING_KEY = 5\n");
            Serve("too-large", Padded(Toml, MaxBytes + 1));
            Serve("invalid", "SIGNING_KEY =\n");
            Serve("unterminated", "SIGNING_KEY = \"GCZ\nVERSION = \"2.0.0\"\n");
            Serve("duplicate-key", $"SIGNING_KEY = \"{SigningKey}\"\nSIGNING_KEY = \"GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ\"\n");
            _app.MapGet("/broken/.well-known/stellar.toml", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
            _app.MapGet("/not-utf8/.well-known/stellar.toml", () => Results.Bytes([.. Encoding.UTF8.GetBytes("SIGNING_KEY = \""), 0xff, (byte)'"']));
            // Without a Content-Length: the size is found only by reading.
            _app.MapGet("/too-large-unannounced/.well-known/stellar.toml", async (HttpResponse response) =>
            {
                var body = Encoding.UTF8.GetBytes(Padded(Toml, MaxBytes + 1));
                for (var at = 0; at < body.Length; at += 8192)
                {
                    await response.Body.WriteAsync(body.AsMemory(at, Math.Min(8192, body.Length - at)));
                    await response.Body.FlushAsync();
                }
            });
            _app.MapGet("/announced-too-large/.well-known/stellar.toml", async (HttpResponse response, CancellationToken aborted) =>
            {
                response.ContentLength = 2 * MaxBytes;
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes("VERSION = \"2.0.0\"\n"), aborted);
                await response.Body.FlushAsync(aborted);
                await Task.Delay(TimeSpan.FromSeconds(30), aborted);
            });
            _app.MapGet("/slow/.well-known/stellar.toml", async (CancellationToken aborted) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(30), aborted);
                return Results.Text(Toml);
            });
            await _app.StartAsync();
        }

        private void Serve(string path, string toml) =>
            _app!.MapGet($"/{path}/.well-known/stellar.toml", () => Results.Text(toml, "application/toml", Encoding.UTF8));

        /// <summary>The TOML followed by a comment that makes it exactly <paramref name="bytes"/> long in UTF-8.</summary>
        private static string Padded(string toml, int bytes)
        {
            var head = toml + "\n# ";
            return head + new string('x', bytes - Encoding.UTF8.GetByteCount(head) - 1) + "\n";
        }

        public async Task DisposeAsync()
        {
            _http.Dispose();
            if (_app is not null) await _app.DisposeAsync();
        }
    }
}
