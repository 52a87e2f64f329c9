using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Receiver.Storage;

public static class StorageSetup
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<DatabaseOptions>, DatabaseOptionsSetup>();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        // One pool for the whole app: EF Core and the plain-Npgsql hot path share it.
        services.AddSingleton(provider =>
        {
            var builder = new NpgsqlDataSourceBuilder(provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString);
            // Prepared statements roughly double PostgreSQL's rate for the ingest insert (shared/reference/performance.md).
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
            return builder.Build();
        });
        services.AddDbContext<ReceiverDbContext>((provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<ResilientDatabase>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<EventWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<EventWriter>());
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>Applies pending migrations when <c>Database:MigrateOnStartup</c> is on (the default).</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup) return;
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ReceiverDbContext>().Database.MigrateAsync(cancellationToken);
    }
}
