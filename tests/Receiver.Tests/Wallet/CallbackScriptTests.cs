using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Receiver.Tests.Infrastructure;
using Receiver.Wallet;

namespace Receiver.Tests.Wallet;

/// <summary>
/// scripts/callback signs with openssl and coreutils only; its signatures must be the ones this code makes and
/// verifies (Ed25519 is deterministic, so they are equal byte for byte), for every way a URL names its host.
/// </summary>
public sealed class CallbackScriptTests
{
    private const string Seed = "SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBE";
    private const string AccountId = "GCZHXL5HXQX5ABDM26LHYRCQZ5OJFHLOPLZX47WEBP3V2PF5AVFK2A5D";
    private const long T = 1718000000;
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"transaction\":{\"id\":\"bc79b203\",\"message\":\"d\u00e9p\u00f4t re\u00e7u\"}}\n");

    [Theory]
    [InlineData("https://wallet.example/callbacks")]
    [InlineData("https://wallet.example:443/callbacks")]
    [InlineData("https://Wallet.Example:0443/callbacks?id=1")]
    [InlineData("https://user:secret@wallet.example:8443/callbacks")]
    [InlineData("https://wallet.example:/callbacks")]
    [InlineData("http://[::1]:8080/callbacks")]
    [InlineData("http://[::1]/callbacks")]
    public async Task The_scripts_header_is_the_signature_this_code_makes_and_verifies(string url)
    {
        var run = await RunAsync(["--print-header", Seed, url, "-", T.ToString()], Body);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(CallbackSignatureHeader.TryParse(run.Output.TrimEnd('\n'), out var header, out var problem), problem);
        Assert.Equal(T, header.Timestamp);
        var host = CallbackSignature.HostOf(new Uri(url));
        Assert.True(StrKey.TryDecodeAccountId(AccountId, out var publicKey));
        Assert.True(CallbackSignature.Verify(publicKey, header.Timestamp, host, Body, header.Signature), $"signed for another host than {host}");
        Assert.True(StrKey.TryDecodeSeed(Seed, out var seed));
        Assert.Equal(AnchorSigner.Sign(seed, T, host, Body), header.Signature);
    }

    [Fact]
    public async Task The_seed_comes_from_APs_variable_and_t_defaults_to_now()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(body, Body);
            var run = await RunAsync(["--print-header", "https://wallet.example/callbacks", body], [], new() { ["SECRET_SEP10_SIGNING_SEED"] = Seed });

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.True(CallbackSignatureHeader.TryParse(run.Output.TrimEnd('\n'), out var header, out var problem), problem);
            Assert.InRange(header.Timestamp, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Assert.True(StrKey.TryDecodeAccountId(AccountId, out var publicKey));
            Assert.True(CallbackSignature.Verify(publicKey, header.Timestamp, "wallet.example", Body, header.Signature));
        }
        finally
        {
            File.Delete(body);
        }
    }

    [Fact]
    public async Task The_script_posts_the_body_with_the_header_and_prints_the_answer()
    {
        var received = new TaskCompletionSource<(string? Signature, string? ContentType, byte[] Body, string Host)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var url = $"http://127.0.0.1:{ReceiverProcess.FreePort()}/callbacks";
        builder.WebHost.UseUrls(url[..url.LastIndexOf('/')]);
        await using var app = builder.Build();
        app.MapPost("/callbacks", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.TrySetResult((request.Headers["Signature"], request.ContentType, body.ToArray(), request.Host.Value!));
            return Results.Text("{\"ok\":true}", "application/json", statusCode: StatusCodes.Status202Accepted);
        });
        await app.StartAsync();

        var run = await RunAsync([Seed, url, "-"], Body);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("HTTP 202\n{\"ok\":true}\n", run.Output);
        var (signature, contentType, body, host) = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("application/json", contentType);
        Assert.Equal(Body, body);
        Assert.True(CallbackSignatureHeader.TryParse(signature, out var header, out var problem), problem);
        Assert.Equal(url[7..url.LastIndexOf('/')], host);
        Assert.True(StrKey.TryDecodeAccountId(AccountId, out var publicKey));
        Assert.True(CallbackSignature.Verify(publicKey, header.Timestamp, CallbackSignature.HostOf(new Uri(url)), body, header.Signature));
    }

    [Theory]
    [InlineData("SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHBF", "the seed's checksum is wrong (a typo?)")]
    [InlineData(AccountId, "the seed is not a Stellar secret seed: 56 characters, S then A-Z and 2-7")]
    [InlineData("SDJHRQF4GCMIIKAAAQ6IHY42X73FQFLHUULAPSKKD4DFDM7UXWWCRHB", "the seed is not a Stellar secret seed: 56 characters, S then A-Z and 2-7")]
    public async Task A_seed_that_is_not_one_is_refused_with_why(string seed, string why)
    {
        var run = await RunAsync(["--print-header", seed, "https://wallet.example/callbacks", "-"], Body);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"scripts/callback: {why}\n", run.Error);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Without_a_seed_the_script_says_where_one_comes_from()
    {
        var run = await RunAsync(["--print-header", "https://wallet.example/callbacks", "-"], Body, new() { ["SECRET_SEP10_SIGNING_SEED"] = null });

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("scripts/callback: no seed: pass one or set SECRET_SEP10_SIGNING_SEED\n", run.Error);
    }

    private sealed record Run(int ExitCode, string Output, string Error);

    private static async Task<Run> RunAsync(string[] arguments, byte[] input, Dictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "scripts", "callback"), .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? [])
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script refused its arguments and exited before reading the body.
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new Run(process.ExitCode, await output, await error);
    }
}
