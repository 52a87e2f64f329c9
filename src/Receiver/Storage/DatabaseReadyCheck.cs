using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Receiver.Storage.Schema;

namespace Receiver.Storage;

/// <summary>Ready when PostgreSQL answers and every migration is applied: what <c>/health/ready</c> asks.</summary>
/// <remarks>
/// /health/ready answers anyone, so its problems say what is wrong in general terms only; a database error can name
/// tables, roles and hosts. The error itself goes with the result, which the health check service logs.
/// </remarks>
internal sealed class DatabaseReadyCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<ReceiverDbContext>().Database;
        try
        {
            // Opened here rather than asked with CanConnectAsync, which says false and drops the reason.
            await database.OpenConnectionAsync(cancellationToken);
            var pending = (await database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"database schema is not migrated: {pending.Count} migration(s) pending ({string.Join(", ", pending)})");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("database unreachable: see the log for the reason", e);
        }
    }
}
