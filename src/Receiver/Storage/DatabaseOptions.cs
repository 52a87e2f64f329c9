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
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail(
                "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) is not set: give the PostgreSQL connection string, " +
                "e.g. Host=127.0.0.1;Port=5432;Database=receiver;Username=receiver;Password=... (scripts/run starts a local PostgreSQL and sets it for you).")
            : ValidateOptionsResult.Success;
}
