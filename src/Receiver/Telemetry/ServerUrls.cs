namespace Receiver.Telemetry;

/// <summary>
/// <c>Urls</c> as configured, before the metrics port is added to them. With <c>Metrics:Port</c> the server also
/// listens on that port, on each host of <c>Urls</c> (<c>http://0.0.0.0:8081</c> adds <c>http://0.0.0.0:9464</c>).
/// Endpoints configured under <c>Kestrel:Endpoints</c> replace <c>Urls</c>, the metrics port included: add it there.
/// </summary>
internal sealed class ServerUrls(string? configured)
{
    public string? Configured => configured;

    /// <summary>The addresses Kestrel can read; one it cannot is left for Kestrel to report.</summary>
    private List<BindingAddress> Addresses { get; } = Parse(configured);

    public IEnumerable<int> Ports => Addresses.Select(address => address.Port);

    /// <summary>Urls with the metrics port added on each host; null when there is nothing to add.</summary>
    public string? WithMetricsPort(string? metricsPort)
    {
        if (!int.TryParse(metricsPort, out var port) || port is < 1 or > 65535 || Addresses.Count == 0 || Ports.Contains(port)) return null;
        var metrics = Addresses.Select(address => $"http://{address.Host}:{port}").Distinct(StringComparer.OrdinalIgnoreCase);
        return string.Join(';', [configured!, .. metrics]);
    }

    private static List<BindingAddress> Parse(string? urls)
    {
        var addresses = new List<BindingAddress>();
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                addresses.Add(BindingAddress.Parse(url));
            }
            catch (FormatException)
            {
            }
        }
        return addresses;
    }
}
