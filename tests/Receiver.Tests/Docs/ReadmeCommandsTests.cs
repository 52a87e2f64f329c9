using System.Diagnostics;
using System.Text.RegularExpressions;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Docs;

/// <summary>
/// The README's commands work as written after <c>scripts/run</c>: no variable a reader must guess, and the
/// walk-through block, run as it stands against a running receiver, posts, queries and follows the feed.
/// </summary>
public partial class ReadmeCommandsTests
{
    /// <summary>The comment above the one block the test runs; the README says so beside it.</summary>
    private const string WalkthroughMarker = "<!-- readme-walkthrough:";

    /// <summary>Where the README's commands expect the receiver (scripts/run's default).</summary>
    private const string ReadmeUrl = "http://localhost:8081";

    private const string TransactionId = "bc79b203-b9b6-4da2-961b-7540a4b62200";

    [Fact]
    public void Every_variable_a_readme_command_uses_is_set_by_an_earlier_readme_command()
    {
        var shellBlocks = Markdown.CodeBlocks(Markdown.Read("README.md")).Where(block => block.Language is "bash" or "sh").ToList();
        Assert.NotEmpty(shellBlocks);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var undefined = new List<string>();
        foreach (var line in shellBlocks.SelectMany(block => block.Text.Split('\n')))
        {
            var command = Comment().Replace(line, "");
            undefined.AddRange(Expansion().Matches(command).Select(m => m.Groups["name"].Value)
                .Where(name => !defined.Contains(name)).Select(name => $"${name} in: {line.Trim()}"));
            defined.UnionWith(Assignment().Matches(command).Select(m => m.Groups["name"].Value));
        }

        Assert.True(undefined.Count == 0, "README commands use variables no README command sets:\n" + string.Join('\n', undefined));
    }

    [Fact]
    public async Task The_walkthrough_runs_as_written_against_a_running_receiver()
    {
        var walkthrough = Walkthrough();
        // What scripts/run leaves for the reader: its development secret and query key in .data/, scripts/ beside them.
        var checkout = Directory.CreateTempSubdirectory("receiver-readme-");
        try
        {
            var secret = "readme-walkthrough-secret-0123456789abcdef";
            var queryKey = "readme-walkthrough-query-key-0123456789";
            Directory.CreateDirectory(Path.Combine(checkout.FullName, ".data"));
            await File.WriteAllTextAsync(Path.Combine(checkout.FullName, ".data", "dev-callback-secret"), secret + "\n");
            await File.WriteAllTextAsync(Path.Combine(checkout.FullName, ".data", "dev-query-key"), queryKey + "\n");
            Directory.CreateSymbolicLink(Path.Combine(checkout.FullName, "scripts"), Path.Combine(Repository.Root, "scripts"));

            await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
            {
                ["CALLBACK_API_AUTH_TYPE"] = "jwt",
                ["SECRET_CALLBACK_API_AUTH_SECRET"] = secret,
                ["QueryApi__Auth__ApiKey__Keys__0"] = queryKey,
            }, async (_, http) =>
            {
                var script = walkthrough.Replace(ReadmeUrl, http.BaseAddress!.ToString().TrimEnd('/'), StringComparison.Ordinal);
                var (output, errors) = await RunBashAsync(script, checkout.FullName);

                Assert.True(errors.Length == 0, $"The walk-through wrote to stderr:\n{errors}\n{output}");
                Assert.Matches(@"^HTTP/1\.1 200", output); // the post
                Assert.Matches($"\"id\": *\"{TransactionId}\"", output); // the transaction's snapshot
                Assert.Contains("\"sequence_number\":1", output); // the long-poll
                Assert.Contains("id: 1\n", output); // the stream's frame
            });
        }
        finally
        {
            checkout.Delete(recursive: true);
        }
    }

    private static string Walkthrough()
    {
        var blocks = Markdown.CodeBlocks(Markdown.Read("README.md"))
            .Where(block => block.LineAbove.StartsWith(WalkthroughMarker, StringComparison.Ordinal)).ToList();
        return Assert.Single(blocks).Text;
    }

    /// <summary>Runs the block as a reader's shell does, line by line, whatever each command's exit code.</summary>
    private static async Task<(string Output, string Errors)> RunBashAsync(string script, string directory)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bash.WaitForExitAsync(timeout.Token);
        return (await output, await errors);
    }

    [GeneratedRegex(@"(?:^|\s)#.*$")]
    private static partial Regex Comment();

    /// <summary><c>$NAME</c> or <c>${NAME...}</c>, not <c>$(command)</c>.</summary>
    [GeneratedRegex(@"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Expansion();

    [GeneratedRegex(@"(?:^|[\s;])(?<name>[A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex Assignment();
}
