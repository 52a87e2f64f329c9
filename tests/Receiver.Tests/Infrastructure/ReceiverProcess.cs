using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// The built receiver as its own OS process (<c>dotnet Receiver.dll</c>), for what only a real process shows:
/// environment variables, appsettings.json in its folder, refusing to start, exit codes.
/// </summary>
public sealed class ReceiverProcess : IAsyncDisposable
{
    /// <summary>Settings of the test machine's environment that would leak into the process under test.</summary>
    private static readonly string[] InheritedSettings =
        ["CALLBACK_API_", "PLATFORM_API_", "SECRET_", "CallbackApi__", "ConnectionStrings__", "Ingest__", "Database__", "QueryApi__", "Reconciliation__",
         "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Metrics__", "OpenApi__", "Otlp__", "OTEL_"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReceiverProcess(Process process) => _process = process;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the app with these settings and checks that it refuses them: exit code 1, the message on a
    /// "Configuration error" line, no stack trace. Returns all it printed.</summary>
    public static async Task<string> AssertRefusesAsync(IReadOnlyDictionary<string, string> environment, string message)
    {
        await using var app = Start(environment);
        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains("Configuration error: " + message, app.Output);
        Assert.DoesNotContain("   at ", app.Output);
        return app.Output;
    }

    /// <summary>Starts the app with exactly these settings as environment variables (and no others of ours).</summary>
    public static ReceiverProcess Start(IReadOnlyDictionary<string, string> environment, string? workingDirectory = null, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Receiver.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        RemoveInheritedSettings(start);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Launch(start);
    }

    /// <summary>Removes the test machine's settings of ours from what the process will inherit.</summary>
    public static void RemoveInheritedSettings(ProcessStartInfo start)
    {
        foreach (var name in start.Environment.Keys.Where(k => InheritedSettings.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            start.Environment.Remove(name);
    }

    /// <summary>Starts a command that runs the app (directly or through a script), capturing what both print.</summary>
    public static ReceiverProcess Launch(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = new ReceiverProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        process._process.OutputDataReceived += (_, e) => process.Append(e.Data);
        process._process.ErrorDataReceived += (_, e) => process.Append(e.Data);
        process._process.Start();
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Runs the app with these settings, a database of its own (dropped afterwards) and a free port; once it listens,
    /// <paramref name="act"/> gets it and a client of that port.
    /// </summary>
    public static async Task RunOnOwnDatabaseAsync(IReadOnlyDictionary<string, string> settings, Func<ReceiverProcess, HttpClient, Task> act)
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        var port = FreePort();
        try
        {
            await using var app = Start(new Dictionary<string, string>(settings) { ["ConnectionStrings__Receiver"] = database },
                arguments: ["--urls", $"http://127.0.0.1:{port}"]);
            await app.WaitUntilListeningAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await act(app, http);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>Waits for the process to end by itself, as it must on a bad setting.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until Kestrel listens; fails with the output when the process ends first.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan? timeout = null)
    {
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(_listening.Task, exited, Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
        if (done != _listening.Task)
            throw new InvalidOperationException($"The receiver is not listening ({(done == exited ? $"exit code {ExitCode}" : "timed out")}):\n{Output}");
    }

    /// <summary>The process's resident memory now (VmRSS), in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
    }

    /// <summary>
    /// The resident memory once it has stopped moving (within 2 MB for 3 s), sampled until then or a minute has
    /// passed: what the process holds once it has done what it can.
    /// </summary>
    public async Task<long> SettledResidentBytesAsync()
    {
        var deadline = Stopwatch.StartNew();
        var steady = Stopwatch.StartNew();
        var last = ResidentBytes;
        while (steady.Elapsed < TimeSpan.FromSeconds(3) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(250);
            var now = ResidentBytes;
            if (Math.Abs(now - last) > 2 << 20) steady.Restart();
            last = now;
        }
        return last;
    }

    /// <summary>SIGTERM, as an orchestrator stops a container: the app shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the process dies at once, mid-request, as in a crash.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("Now listening on:", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        UnhandledExceptionLog.AppendProcessOutput(Output);
    }
}
