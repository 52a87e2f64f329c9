namespace Receiver.Telemetry;

/// <summary>
/// The meter <c>Receiver</c> (exported as <c>receiver_*</c>). Each capability declares its own instruments on it, in
/// a class of its own (IngestMetrics, FeedMetrics, ...), registered with <see cref="AddInstruments{T}"/>. Every tag
/// value comes from a fixed list, so the number of series is bounded whatever is posted; no id, body or secret is
/// ever a tag.
/// </summary>
public static class ReceiverMeter
{
    public const string Name = "Receiver";

    /// <summary>
    /// Registers a class that creates instruments on the meter. It is created at start (MapTelemetry), not by the
    /// first request that needs it, so its series are there from the first scrape or export.
    /// </summary>
    public static IServiceCollection AddInstruments<T>(this IServiceCollection services) where T : class
    {
        services.AddSingleton<T>();
        services.AddSingleton(new Instruments(typeof(T)));
        return services;
    }

    internal sealed record Instruments(Type Type);
}
