using Microsoft.Extensions.Options;
using Npgsql;

namespace Receiver.Storage;

/// <summary>Who waits on a database operation, which decides its timeout and how a timeout is counted.</summary>
public enum DatabaseWork
{
    /// <summary>A write: AP waits for it (or reconciliation, or a replay). Bounded by <c>Database:Timeout</c>.</summary>
    Write,

    /// <summary>A read of the query API or the feed. Bounded by <c>Database:ReadTimeout</c>.</summary>
    Read,
}

/// <summary><c>Database:*</c> settings, plus the <c>ConnectionStrings:Receiver</c> connection string.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public string? ConnectionString { get; set; }
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// How long a write may wait on PostgreSQL, retries included, before its request answers 503: an event AP posts,
    /// a replay, reconciliation's work.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a read of the query API or the feed may take, retries included, before it answers 503. Apart from
    /// <see cref="Timeout"/>, and counted apart (<c>kind="read_timeout"</c>), so a slow query is not taken for a
    /// database that is down, and AP's deliveries keep their own bound.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>Retry-After</c> of those 503s, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// A connection outside the pool, for session state (a LISTEN, a session lock): closing it ends the session and
    /// with it that state, whatever happened. Pooled connections are not reset when they go back (see StorageSetup).
    /// </summary>
    /// <remarks>
    /// These are opened seldom (at start, for a reconciliation run, when the LISTEN connection is lost), and with
    /// several hosts each asks every host afresh which is the primary (<c>Host Recheck Seconds=0</c>): what Npgsql
    /// would otherwise remember of the hosts' roles for 10 s would keep a LISTEN lost in a failover from finding the
    /// promoted standby for that long.
    /// </remarks>
    public NpgsqlConnection UnpooledConnection() =>
        new(new NpgsqlConnectionStringBuilder(PrimaryConnectionString) { Pooling = false, HostRecheckSeconds = 0 }.ConnectionString);

    /// <summary>
    /// <see cref="ConnectionString"/> as every connection of Receiver uses it, all of which must reach the primary: it
    /// writes, LISTENs and takes locks. With several hosts (<c>Host=a,b</c>: a primary and its standbys) and no
    /// <c>Target Session Attributes</c>, it asks Npgsql for the primary; Npgsql's own default, <c>any</c>, takes the
    /// first host that answers, which may be a standby listed first, or after a failover the old primary come back as
    /// a standby, where every write is refused. Other values are refused at start (<see cref="DatabaseOptionsValidator"/>).
    /// </summary>
    public string PrimaryConnectionString
    {
        get
        {
            var settings = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (NamesSeveralHosts(settings) && settings.TargetSessionAttributes is null) settings.TargetSessionAttributes = "primary";
            return settings.ConnectionString;
        }
    }

    /// <summary>As Npgsql tells a multi-host connection string from a single host (<c>NpgsqlDataSourceBuilder.Build</c>).</summary>
    internal static bool NamesSeveralHosts(NpgsqlConnectionStringBuilder settings) => settings.Host?.Contains(',') == true;
}

internal sealed class DatabaseOptionsValidator(IConfiguration configuration) : IValidateOptions<DatabaseOptions>
{
    private const string Setting = "ConnectionStrings:Receiver (env ConnectionStrings__Receiver)";

    /// <summary>Settings that were once under <c>Ingest</c>: set there, they would now be silently ignored.</summary>
    private static readonly (string Old, string New)[] Moved =
        [("Ingest:DatabaseTimeout", "Database:Timeout"), ("Ingest:RetryAfterSeconds", "Database:RetryAfterSeconds")];

    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        var failures = new List<string>();
        foreach (var (old, now) in Moved.Where(setting => configuration[setting.Old] is not null))
            failures.Add($"{old} is now {now} (it bounds every request's wait on PostgreSQL, not only ingest's): rename the setting.");
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(5))
            failures.Add($"Database:Timeout must be more than 0 and at most 00:05:00; it is {options.Timeout}.");
        if (options.ReadTimeout <= TimeSpan.Zero || options.ReadTimeout > TimeSpan.FromMinutes(5))
            failures.Add($"Database:ReadTimeout must be more than 0 and at most 00:05:00; it is {options.ReadTimeout}.");
        if (options.RetryAfterSeconds is < 1 or > 3600)
            failures.Add($"Database:RetryAfterSeconds must be between 1 and 3600; it is {options.RetryAfterSeconds}.");
        if (ConnectionStringProblem(options) is { } problem) failures.Add(problem);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string? ConnectionStringProblem(DatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
            return
                $"{Setting} is not set: give the PostgreSQL connection string, " +
                "e.g. Host=127.0.0.1;Port=5432;Database=receiver;Username=receiver;Password=... (scripts/run starts a local PostgreSQL and sets it for you).";
        return Problem(Setting, options.ConnectionString, mustReachPrimary: true);
    }

    /// <summary>
    /// What is wrong with a connection string, in words that repeat none of it (it may hold a password); null when
    /// Npgsql reads it and its Target Session Attributes suit it.
    /// </summary>
    internal static string? Problem(string setting, string connectionString, bool mustReachPrimary)
    {
        try
        {
            if (TargetSessionProblem(setting, new NpgsqlConnectionStringBuilder(connectionString), mustReachPrimary) is { } problem) return problem;
            // Parsed and checked as every connection will be, without connecting.
            using var _ = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            return null;
        }
        catch (ArgumentException)
        {
            // Npgsql's message quotes the key or value it choked on: with an unquoted ';' in the password, that is
            // a piece of the password. Say what is wrong in general terms only.
            return
                $"{setting} is not a valid Npgsql connection string (not repeated here: it may hold a password). " +
                "It needs Host, keys Npgsql knows, values of the right kind, and single quotes around a value that " +
                "contains ';', e.g. Host=db;Username=receiver;Password='pa;ss'.";
        }
    }

    /// <summary>Values of <c>Target Session Attributes</c> that only ever pick a server that takes writes.</summary>
    private static readonly string[] ReachPrimary = ["primary", "read-write"];

    /// <summary>
    /// Target Session Attributes with one host, which Npgsql refuses at the first connection (with an exception rather
    /// than a line); and, for a string that must reach the primary, a value with several hosts that may pick a standby.
    /// </summary>
    private static string? TargetSessionProblem(string setting, NpgsqlConnectionStringBuilder settings, bool mustReachPrimary)
    {
        if (settings.TargetSessionAttributes is not { } target) return null;
        if (!DatabaseOptions.NamesSeveralHosts(settings))
            return target.Equals("any", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"{setting} sets Target Session Attributes={target} for one host: Npgsql takes it only with several hosts " +
                  "(Host=primary,standby). Leave it out, or name every host.";
        return !mustReachPrimary || ReachPrimary.Contains(target, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"{setting} names several hosts with Target Session Attributes={target}: Receiver writes, LISTENs and takes locks " +
              "through it, so it must reach the primary. Set primary or read-write, or leave it out (primary is then taken).";
    }
}
