using Microsoft.Extensions.Options;

namespace Receiver.Telemetry;

/// <summary><c>Metrics:*</c> settings: the Prometheus scrape endpoint.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    public bool Enabled { get; set; } = true;
    public string Path { get; set; } = "/metrics";

    /// <summary>Scrapes need a query API credential (<c>QueryApi:Auth:*</c>).</summary>
    public bool RequireAuth { get; set; }

    /// <summary>A port of its own: the endpoint is served there only, never on the ports of <c>Urls</c>.</summary>
    public int? Port { get; set; }

    /// <summary>
    /// The rejected-events backlog is counted in PostgreSQL at most this often, whatever the scrape rate;
    /// 0 counts it again at every scrape.
    /// </summary>
    public int BacklogRefreshSeconds { get; set; } = 15;
}

/// <summary>
/// <c>Otlp:*</c> settings, falling back to the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> and
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>: where traces and metrics are pushed. Nothing is pushed without an endpoint.
/// </summary>
public sealed class OtlpOptions
{
    public const string Section = "Otlp";
    public const string GrpcProtocol = "grpc";
    public const string HttpProtobufProtocol = "http/protobuf";

    public string? Endpoint { get; set; }

    /// <summary>The specification's default; <c>grpc</c> for a collector's port 4317.</summary>
    public string Protocol { get; set; } = HttpProtobufProtocol;

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>Read straight from configuration: whether to export decides what is registered, before options exist.</summary>
    public static OtlpOptions From(IConfiguration configuration) => new()
    {
        Endpoint = FirstSet(configuration[$"{Section}:Endpoint"], configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]),
        Protocol = FirstSet(configuration[$"{Section}:Protocol"], configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]) ?? HttpProtobufProtocol,
    };

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(value => !string.IsNullOrWhiteSpace(value))?.Trim();
}

internal sealed class OtlpOptionsSetup(IConfiguration configuration) : IConfigureOptions<OtlpOptions>
{
    public void Configure(OtlpOptions options)
    {
        var read = OtlpOptions.From(configuration);
        options.Endpoint = read.Endpoint;
        options.Protocol = read.Protocol;
    }
}

internal sealed class MetricsOptionsValidator(ServerUrls urls) : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new List<string>();
        if (!options.Path.StartsWith('/') || options.Path.Length < 2 || options.Path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#' or '{' or '}'))
            failures.Add($"Metrics:Path must be a path such as /metrics; it is '{options.Path}'.");
        if (options.Port is { } port)
        {
            if (port is < 1 or > 65535)
                failures.Add($"Metrics:Port must be between 1 and 65535; it is {port}.");
            else if (urls.Ports.Contains(port))
                failures.Add($"Metrics:Port must differ from the ports of Urls ({urls.Configured}); it is {port}.");
        }
        if (options.BacklogRefreshSeconds is < 0 or > 3600)
            failures.Add($"Metrics:BacklogRefreshSeconds must be between 0 and 3600; it is {options.BacklogRefreshSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class OtlpOptionsValidator : IValidateOptions<OtlpOptions>
{
    public ValidateOptionsResult Validate(string? name, OtlpOptions options)
    {
        var failures = new List<string>();
        if (options.Enabled && !(Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
            failures.Add($"Otlp:Endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) must be an http or https URL such as http://collector:4318; it is '{options.Endpoint}'.");
        if (options.Protocol is not (OtlpOptions.GrpcProtocol or OtlpOptions.HttpProtobufProtocol))
            failures.Add($"Otlp:Protocol (or OTEL_EXPORTER_OTLP_PROTOCOL) must be grpc or http/protobuf; it is '{options.Protocol}'.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
