using Microsoft.Extensions.Options;
using Npgsql;

namespace Receiver.Storage;

/// <summary><c>Database:*</c> settings, plus the <c>ConnectionStrings:Receiver</c> connection string.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public string? ConnectionString { get; set; }
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// A connection outside the pool, for session state (a LISTEN, a session lock): closing it ends the session and
    /// with it that state, whatever happened. Pooled connections are not reset when they go back (see StorageSetup).
    /// </summary>
    public NpgsqlConnection UnpooledConnection() =>
        new(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
}

internal sealed class DatabaseOptionsSetup(IConfiguration configuration) : IConfigureOptions<DatabaseOptions>
{
    public void Configure(DatabaseOptions options)
    {
        configuration.GetSection(DatabaseOptions.Section).Bind(options);
        options.ConnectionString = configuration.GetConnectionString("Receiver");
    }
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    private const string Setting = "ConnectionStrings:Receiver (env ConnectionStrings__Receiver)";

    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
            return ValidateOptionsResult.Fail(
                $"{Setting} is not set: give the PostgreSQL connection string, " +
                "e.g. Host=127.0.0.1;Port=5432;Database=receiver;Username=receiver;Password=... (scripts/run starts a local PostgreSQL and sets it for you).");
        try
        {
            // Parsed and checked as every connection will be, without connecting.
            using var _ = options.UnpooledConnection();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException)
        {
            // Npgsql's message quotes the key or value it choked on: with an unquoted ';' in the password, that is
            // a piece of the password. Say what is wrong in general terms only.
            return ValidateOptionsResult.Fail(
                $"{Setting} is not a valid Npgsql connection string (not repeated here: it may hold a password). " +
                "It needs Host, keys Npgsql knows, values of the right kind, and single quotes around a value that " +
                "contains ';', e.g. Host=db;Username=receiver;Password='pa;ss'.");
        }
    }
}
