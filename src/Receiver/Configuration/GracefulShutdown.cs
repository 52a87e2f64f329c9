using Microsoft.Extensions.Options;

namespace Receiver.Configuration;

/// <summary><c>Shutdown:*</c> settings.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>
    /// On SIGTERM the server stops accepting, answers the requests it has (each event committed first), closes feed
    /// streams with a final frame and ends long-polls; whatever is still running after this long is cut off.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 30;
}

internal sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options) =>
        options.TimeoutSeconds is < 1 or > 600
            ? ValidateOptionsResult.Fail($"Shutdown:TimeoutSeconds must be between 1 and 600; it is {options.TimeoutSeconds}.")
            : ValidateOptionsResult.Success;
}

public static class GracefulShutdown
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddValidatedOptions<ShutdownOptions, ShutdownOptionsValidator>(ShutdownOptions.Section);
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));
        return services;
    }
}
