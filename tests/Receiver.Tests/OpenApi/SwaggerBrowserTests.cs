using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Receiver.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Receiver.Tests.OpenApi;

/// <summary>
/// Swagger UI in a real browser (tests/browser/swagger-ui.mjs: playwright-core driving Debian's chromium), against the
/// built app as a process: TestServer is not reachable from a browser.
/// </summary>
[Collection(nameof(SwaggerBrowserTests))]
public sealed class SwaggerBrowserTests(ITestOutputHelper output)
{
    /// <summary>Where <c>dotnet test</c> keeps results by default, ignored by git: scripts/test removes its own results folder after the run.</summary>
    private static readonly string Screenshot = Path.Combine(Repository.Root, "tests", "Receiver.Tests", "TestResults", "swagger-ui.png");

    [Fact]
    public async Task Try_it_out_shows_a_posted_transaction_after_authorizing_with_the_query_key()
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        var port = ReceiverProcess.FreePort();
        try
        {
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = database,
                ["CALLBACK_API_AUTH_TYPE"] = "jwt",
                ["SECRET_CALLBACK_API_AUTH_SECRET"] = ReceiverApp.JwtSecret,
                ["QueryApi__Auth__ApiKey__Keys__0"] = ReceiverApp.QueryKey,
            }, arguments: ["--urls", $"http://127.0.0.1:{port}"]);
            await app.WaitUntilListeningAsync();
            var baseUrl = $"http://127.0.0.1:{port}";
            using var ap = new HttpClient { BaseAddress = new Uri(baseUrl) };
            ap.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApToken.Mint(ReceiverApp.JwtSecret));
            var transaction = ApEvents.Sep24DepositCreated();
            Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.TransactionEvent("transaction_created", transaction))).StatusCode);
            Directory.CreateDirectory(Path.GetDirectoryName(Screenshot)!);
            File.Delete(Screenshot);

            var (exitCode, log) = await RunNodeAsync(
                Path.Combine(Repository.Root, "tests", "browser", "swagger-ui.mjs"), baseUrl, ReceiverApp.QueryKey, (string)transaction["id"]!, Screenshot);

            output.WriteLine(log);
            Assert.True(exitCode == 0, $"The Swagger UI browser run failed (exit code {exitCode}):\n{log}");
            Assert.True(File.Exists(Screenshot), $"No screenshot at {Screenshot}:\n{log}");
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunNodeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Node.js (node, 20 or later) could not be started: {e.Message}. The browser test needs it, with npm, on the PATH.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // Each browser step has 60 s of its own; this only stops a browser that hangs for good.
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The Swagger UI browser run did not end within 10 minutes:\n{await stdout}{await stderr}");
            }
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}

/// <summary>Chromium is the heaviest process of the suite: it runs alone, after the rest, not beside the tests that count under load.</summary>
[CollectionDefinition(nameof(SwaggerBrowserTests), DisableParallelization = true)]
public sealed class SwaggerBrowserCollection;
