using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary><c>Security:FailedAuth:*</c> settings.</summary>
public sealed class FailedAuthOptions
{
    public const string Section = "Security:FailedAuth";

    /// <summary>Failed authentications (401) allowed per client address and window; 0 turns the limit off.</summary>
    public int PermitLimit { get; set; } = 30;

    public int WindowSeconds { get; set; } = 60;
}

internal sealed class FailedAuthOptionsValidator : IValidateOptions<FailedAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, FailedAuthOptions options)
    {
        var failures = new List<string>();
        if (options.PermitLimit is < 0 or > 1_000_000)
            failures.Add($"Security:FailedAuth:PermitLimit must be between 0 (off) and 1000000; it is {options.PermitLimit}.");
        if (options.WindowSeconds is < 1 or > 86_400)
            failures.Add($"Security:FailedAuth:WindowSeconds must be between 1 and 86400; it is {options.WindowSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Limits failed authentications per client address, on every API: once an address has failed
/// <see cref="FailedAuthOptions.PermitLimit"/> times in a window, its requests are answered 429 before any
/// authentication, logging or database work, until the window ends. Successful requests never count, so a
/// correctly configured AP is never limited; a sender with a wrong secret (AP retries a 401 forever) or someone
/// guessing keys cannot flood the logs or the database.
/// </summary>
internal sealed class FailedAuthLimit(IOptions<FailedAuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(options.Value.PermitLimit, 1),
            Window = TimeSpan.FromSeconds(options.Value.WindowSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    private bool Enabled => options.Value.PermitLimit > 0;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!Enabled)
        {
            await next(context);
            return;
        }

        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        using (var room = _failures.AttemptAcquire(address, 0))
        {
            // Acquiring nothing only asks whether this address has failures left in the window.
            if (!room.IsAcquired)
            {
                context.Response.Headers.RetryAfter = options.Value.WindowSeconds.ToString();
                await TypedResults.Problem(
                        statusCode: StatusCodes.Status429TooManyRequests,
                        detail: $"Too many failed authentications from this address; try again within {options.Value.WindowSeconds} s.")
                    .ExecuteAsync(context);
                return;
            }
        }

        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized) _failures.AttemptAcquire(address).Dispose();
    }

    public void Dispose() => _failures.Dispose();
}

public static class FailedAuthLimitSetup
{
    public static IServiceCollection AddFailedAuthLimit(this IServiceCollection services)
    {
        services.AddOptions<FailedAuthOptions>().BindConfiguration(FailedAuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FailedAuthOptions>, FailedAuthOptionsValidator>();
        services.AddSingleton<FailedAuthLimit>();
        return services;
    }

    /// <summary>Before authentication, so a limited address costs no token check.</summary>
    public static IApplicationBuilder UseFailedAuthLimit(this IApplicationBuilder app)
    {
        var limit = app.ApplicationServices.GetRequiredService<FailedAuthLimit>();
        return app.Use(next => context => limit.InvokeAsync(context, next));
    }
}
