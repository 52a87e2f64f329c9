using System.Diagnostics;
using Npgsql;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of a test's own, started through scripts/pg, for tests that stop, restart or
/// otherwise break the database: the shared test cluster must stay up for everyone else.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;

    private readonly string[] _settings;

    private PrivateCluster(DirectoryInfo directory, int port, string[] settings)
    {
        _directory = directory;
        Port = port;
        _settings = settings;
    }

    public int Port { get; }

    public static Task<PrivateCluster> CreateAsync() => CreateAsync([]);

    /// <summary>
    /// The cluster of a whole test run started without scripts/test (plain <c>dotnet test</c>), set up as
    /// scripts/test sets up its own: the server installed when missing, durability traded for speed, room for the
    /// suite's connections.
    /// </summary>
    public static async Task<PrivateCluster> CreateForSuiteAsync()
    {
        await ScriptAsync("install");
        return await CreateAsync(["-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"]);
    }

    /// <summary>A cluster started with these settings (<c>["-c", "name=value", ...]</c>) besides the usual ones.</summary>
    public static async Task<PrivateCluster> CreateAsync(string[] settings)
    {
        var directory = Directory.CreateTempSubdirectory("receiver-test-pg.");
        await ScriptAsync("init", directory.FullName);
        return await StartOnFreePortAsync(directory, settings);
    }

    /// <summary>
    /// A streaming standby of <paramref name="primary"/> (pg_basebackup), known to it as <paramref name="name"/>,
    /// the name its <c>synchronous_standby_names</c> matches.
    /// </summary>
    public static async Task<PrivateCluster> CreateStandbyAsync(PrivateCluster primary, string name, string[] settings)
    {
        var directory = Directory.CreateTempSubdirectory("receiver-test-pg.");
        await ScriptAsync("standby", directory.FullName, primary.Port.ToString(), name);
        return await StartOnFreePortAsync(directory, settings);
    }

    private static async Task<PrivateCluster> StartOnFreePortAsync(DirectoryInfo directory, string[] settings)
    {
        // Below Linux's ephemeral range (32768 and up), so the client side of some other connection cannot take the
        // port between the check and the start; another test's cluster still can, hence the next try on a new port.
        for (var attempt = 1; ; attempt++)
        {
            var port = int.Parse(await ScriptAsync("free-port", Random.Shared.Next(20000, 30000).ToString()));
            var cluster = new PrivateCluster(directory, port, settings);
            try
            {
                await cluster.StartAsync();
                return cluster;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Password = "postgres", Database = database }
            .ConnectionString;

    public Task StartAsync() => ScriptAsync(["start", _directory.FullName, Port.ToString(), "-c", "fsync=off", .. _settings]);

    /// <summary>Kills every process of the server with SIGKILL: a machine lost, as its clients see it.</summary>
    public Task KillAsync() => ScriptAsync("kill", _directory.FullName);

    /// <summary>Promotes a standby to a primary, returning once it accepts writes.</summary>
    public Task PromoteAsync() => ScriptAsync("promote", _directory.FullName);

    /// <summary>
    /// Suspends every process of the server (SIGSTOP): a machine that hangs, its sockets open, answering nothing.
    /// Resume it with <see cref="Thaw"/> before disposing.
    /// </summary>
    public void Freeze()
    {
        var postmaster = File.ReadLines(Path.Combine(_directory.FullName, "data", "postmaster.pid")).First().Trim();
        _frozen = [postmaster, .. Run("pgrep", "-P", postmaster).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        Run("kill", ["-STOP", .. _frozen]);
    }

    public void Thaw() => Run("kill", ["-CONT", .. _frozen]);

    private string[] _frozen = [];

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>Stops the server; <c>immediate</c> is a crash as far as clients can tell.</summary>
    public Task StopAsync(string mode = "immediate") => ScriptAsync("stop", _directory.FullName, mode);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory.Delete(recursive: true);
    }

    private static async Task<string> ScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "scripts", "pg"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/pg {string.Join(' ', arguments)} failed: {await error}");
        return (await output).Trim();
    }
}
