using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Receiver.Configuration;

namespace Receiver.Auth;

/// <summary><c>Security:FailedAuth:*</c> settings.</summary>
public sealed class FailedAuthOptions
{
    public const string Section = "Security:FailedAuth";

    /// <summary>Failed authentications (401) allowed per client address and window; 0 turns the limit off.</summary>
    public int PermitLimit { get; set; } = 30;

    public int WindowSeconds { get; set; } = 60;

    /// <summary>
    /// How long a failed authentication from an address over the limit waits for its 429: it slows whoever guesses
    /// credentials, one connection at a time. Requests with good credentials never wait. 0 answers at once.
    /// </summary>
    public int DelayMilliseconds { get; set; } = 1000;
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
        if (options.DelayMilliseconds is < 0 or > 10_000)
            failures.Add($"Security:FailedAuth:DelayMilliseconds must be between 0 and 10000; it is {options.DelayMilliseconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Limits failed authentications per client address, on every API. Credentials are always checked first: a request
/// that authenticates is never refused, whatever its neighbours did (AP shares its address with whatever sits behind
/// the same NAT, proxy or sidecar, and a refused event stalls AP's whole pipeline). A request that fails once its
/// address has failed <see cref="FailedAuthOptions.PermitLimit"/> times in a window gets 429 instead of 401, after
/// <see cref="FailedAuthOptions.DelayMilliseconds"/>: a sender with a wrong secret (AP retries forever) or someone
/// guessing keys gets slow, short answers until the window ends.
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

    /// <summary>Counts a failed authentication; true when its address has no failures left in the window.</summary>
    public bool IsOverLimit(HttpContext context)
    {
        if (options.Value.PermitLimit == 0) return false;
        using var failure = _failures.AttemptAcquire(context.Connection.RemoteIpAddress ?? IPAddress.None);
        return !failure.IsAcquired;
    }

    /// <summary>The answer to a failed authentication over the limit, in place of its 401.</summary>
    public async Task RefuseAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(options.Value.DelayMilliseconds, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        context.Response.Headers.WWWAuthenticate = default;
        context.Response.Headers.RetryAfter = options.Value.WindowSeconds.ToString();
        await TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                detail: $"Too many failed authentications from this address; try again within {options.Value.WindowSeconds} s.")
            .ExecuteAsync(context);
    }

    public void Dispose() => _failures.Dispose();
}

public static class FailedAuthLimitSetup
{
    public static IServiceCollection AddFailedAuthLimit(this IServiceCollection services)
    {
        services.AddValidatedOptions<FailedAuthOptions, FailedAuthOptionsValidator>(FailedAuthOptions.Section);
        services.AddSingleton<FailedAuthLimit>();
        return services;
    }
}
