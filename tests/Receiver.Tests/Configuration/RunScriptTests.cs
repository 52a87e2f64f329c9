using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Configuration;

/// <summary>
/// scripts/run as a user runs it, with a data folder of its own: stopped by a signal it leaves nothing running,
/// and a taken port stops it before it starts anything.
/// </summary>
public class RunScriptTests
{
    [Theory]
    [InlineData("TERM", false)] // kill PID, timeout, a supervisor, CI cancellation: the script alone
    [InlineData("INT", true)] // Ctrl-C in a terminal: the whole process group
    public async Task Stopped_by_a_signal_it_stops_the_app_and_then_PostgreSQL(string signal, bool toProcessGroup)
    {
        var port = ReceiverProcess.FreePort();
        await using var script = RunScript.Start("--urls", $"http://127.0.0.1:{port}");
        await script.WaitUntilListeningAsync();

        script.Signal(signal, toProcessGroup);

        Assert.Equal(0, await script.WaitForExitAsync());
        Assert.Contains("Application is shutting down", script.Output); // a graceful stop, not a kill
        Assert.False(IsListening(port), $"port {port} is still served:\n{script.Output}");
        Assert.Empty(script.ProcessesLeft());
    }

    [Fact]
    public async Task On_a_taken_port_it_says_so_in_one_line_and_starts_nothing()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var script = RunScript.Start("--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, await script.WaitForExitAsync());

        var line = Assert.Single(script.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"port {port} (http://127.0.0.1:{port}) is already in use", line);
        Assert.Contains("--urls", line);
        Assert.False(Directory.Exists(Path.Combine(script.DataDirectory, "pg")), "a PostgreSQL cluster was created");
        Assert.Empty(script.ProcessesLeft());
    }

    private static bool IsListening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>scripts/run in a session of its own (so a signal can go to its process group, as a terminal's does).</summary>
    private sealed class RunScript(ReceiverProcess script, string dataDirectory) : IAsyncDisposable
    {
        public string DataDirectory { get; } = dataDirectory;

        public string Output => script.Output;

        public static RunScript Start(params string[] arguments)
        {
            // setsid execs bash in place (a child of ours is no group leader), so the script's PID is its group's.
            // env first restores INT's default: a suite started in the background of a shell inherits INT ignored, and
            // bash cannot trap a signal ignored when it starts, as a terminal's script never has it.
            var start = new ProcessStartInfo("env");
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("setsid");
            start.ArgumentList.Add("bash");
            start.ArgumentList.Add(Path.Combine(Repository.Root, "scripts", "run"));
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            ReceiverProcess.RemoveInheritedSettings(start);
            var dataDirectory = Directory.CreateTempSubdirectory("receiver-run.").FullName;
            start.Environment["RECEIVER_DATA_DIR"] = dataDirectory;
            // Below Linux's ephemeral range, away from the shared test cluster's port (see PrivateCluster).
            start.Environment["RECEIVER_PG_PORT"] = Random.Shared.Next(20000, 30000).ToString();
            start.Environment["Logging__Console__FormatterName"] = "simple";
            return new RunScript(ReceiverProcess.Launch(start), dataDirectory);
        }

        /// <summary>Waits until the app listens; the first start in a checkout builds it first.</summary>
        public Task WaitUntilListeningAsync() => script.WaitUntilListeningAsync(TimeSpan.FromMinutes(4));

        public void Signal(string signal, bool toProcessGroup)
        {
            using var kill = Process.Start("kill", ["-" + signal, "--", (toProcessGroup ? "-" : "") + script.Id]);
            kill.WaitForExit();
        }

        /// <summary>Waits for the script and for its output to end, which a process it left behind keeps open.</summary>
        public async Task<int> WaitForExitAsync()
        {
            try
            {
                return await script.WaitForExitAsync();
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"scripts/run or what it started is still running: {string.Join("; ", ProcessesLeft())}\n{Output}");
            }
        }

        /// <summary>
        /// Processes of this run still alive: the app and PostgreSQL inherit RECEIVER_DATA_DIR, and PostgreSQL names
        /// its data folder on its command line. Each as "PID command line".
        /// </summary>
        public List<string> ProcessesLeft()
        {
            var left = new List<string>();
            foreach (var folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId) continue;
                try
                {
                    var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                    if (commandLine.Contains(DataDirectory, StringComparison.Ordinal)
                        || File.ReadAllText(Path.Combine(folder, "environ")).Contains("RECEIVER_DATA_DIR=" + DataDirectory + "\0", StringComparison.Ordinal))
                        left.Add($"{pid} {commandLine}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // ended meanwhile, or another user's
                }
            }
            return left;
        }

        /// <summary>Whatever a failed test left: the script and its children, then the rest of this run, then its files.</summary>
        public async ValueTask DisposeAsync()
        {
            await script.DisposeAsync();
            foreach (var process in ProcessesLeft())
            {
                try { Process.GetProcessById(int.Parse(process.Split(' ')[0])).Kill(); }
                catch (ArgumentException) { } // ended meanwhile
            }
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
