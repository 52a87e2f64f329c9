using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Storage;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// The receiver in-process, over a real PostgreSQL database of its own that is dropped afterwards.
/// Defaults to JWT auth, AP's default; pass settings to change anything.
/// </summary>
public class ReceiverApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string JwtSecret = "test-secret-0123456789-abcdefghijklmnop";
    public const string QueryKey = "test-query-key-0123456789";

    private readonly Dictionary<string, string?> _settings;

    public ReceiverApp() : this(new Dictionary<string, string?>(), null) { }

    /// <summary>An app with settings of its own; dispose it (await using) to drop its database.</summary>
    public static ReceiverApp With(IReadOnlyDictionary<string, string?> settings, string? connectionString = null) =>
        new(settings, connectionString);

    /// <summary>
    /// Another instance on the same database as <paramref name="owner"/>, as when several receivers share one
    /// PostgreSQL; the database stays for its owner to drop.
    /// </summary>
    public static ReceiverApp Beside(ReceiverApp owner, IReadOnlyDictionary<string, string?>? settings = null) =>
        new(settings ?? new Dictionary<string, string?>(), owner.ConnectionString) { _ownsDatabase = false };

    private bool _ownsDatabase = true;

    /// <summary>For fixtures of their own: <c>class StrictApp() : ReceiverApp(settings)</c>.</summary>
    protected ReceiverApp(IReadOnlyDictionary<string, string?> settings, string? connectionString = null)
    {
        ConnectionString = connectionString ?? TestPostgres.NewDatabaseConnectionString();
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Receiver"] = ConnectionString,
            ["CallbackApi:Auth:Type"] = "jwt",
            ["CallbackApi:Auth:Secret"] = JwtSecret,
            ["QueryApi:Auth:ApiKey:Keys:0"] = QueryKey,
            ["Logging:LogLevel:Default"] = "Warning",
            // Many tests fail auth on purpose, all from the same in-process "address"; FailedAuthLimitTests turn it on.
            ["Security:FailedAuth:PermitLimit"] = "0",
        };
        foreach (var (key, value) in settings) _settings[key] = value;
    }

    public string ConnectionString { get; }

    /// <summary>
    /// A ResilientDatabase made of the app's own parts but with <paramref name="options"/>, on <paramref name="dataSource"/>
    /// (the app's pool when not given).
    /// </summary>
    internal ResilientDatabase Database(DatabaseOptions options, NpgsqlDataSource? dataSource = null) =>
        new(dataSource ?? Services.GetRequiredService<NpgsqlDataSource>(), Services.GetRequiredService<StandbyReads>(), Options.Create(options),
            Services.GetRequiredService<DatabaseMetrics>(), NullLogger<ResilientDatabase>.Instance);

    public string? Setting(string key) => _settings.GetValueOrDefault(key);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        if (UnhandledExceptionLog.Path is { } path) builder.ConfigureLogging(logging => logging.AddProvider(new UnhandledExceptionLog(path)));
    }

    public Task InitializeAsync()
    {
        // Starts the host: options are validated and the schema migrated, as in production.
        _ = Server;
        return Task.CompletedTask;
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>Stops the app and drops its database, whether disposed by xunit or by <c>await using</c>.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase) await TestPostgres.DropDatabaseAsync(ConnectionString);
    }

    /// <summary>A client that signs every request the way AP does for the configured auth type.</summary>
    public HttpClient CreateApClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        switch (Setting("CallbackApi:Auth:Type"))
        {
            case "jwt":
                client.DefaultRequestHeaders.TryAddWithoutValidation(
                    Setting("CallbackApi:Auth:Jwt:HttpHeader") ?? "Authorization", "Bearer " + ApToken.Mint(Setting("CallbackApi:Auth:Secret")!));
                break;
            case "api_key":
                client.DefaultRequestHeaders.TryAddWithoutValidation(
                    Setting("CallbackApi:Auth:ApiKey:HttpHeader") ?? "X-Api-Key", Setting("CallbackApi:Auth:Secret"));
                break;
        }
        return client;
    }

    /// <summary>A client of the query API, with the configured query key.</summary>
    public HttpClient CreateQueryClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.TryAddWithoutValidation(
            Setting("QueryApi:Auth:ApiKey:HttpHeader") ?? "X-Api-Key", Setting("QueryApi:Auth:ApiKey:Keys:0"));
        return client;
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>
    /// Holds <paramref name="table"/> locked (ACCESS EXCLUSIVE, in an open transaction) until disposed, as a long
    /// transaction or a stalled disk would: every statement that touches it waits.
    /// </summary>
    public async Task<IAsyncDisposable> LockTableAsync(string table)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction).ExecuteNonQueryAsync();
        // Closing the connection rolls the transaction back, and with it the lock.
        return connection;
    }

    public async Task<long> CountAsync(string table, string? where = null, params object[] parameters) =>
        await ScalarAsync<long>($"SELECT count(*) FROM {table}" + (where is null ? "" : $" WHERE {where}"), parameters);
}
