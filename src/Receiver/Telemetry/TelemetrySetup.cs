using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Receiver.Auth;
using Receiver.Configuration;

namespace Receiver.Telemetry;

/// <summary>
/// Metrics (Prometheus scrape endpoint, <c>Metrics:*</c>) and, when an OTLP endpoint is configured (<c>Otlp:*</c>),
/// traces and metrics pushed over OTLP.
/// </summary>
public static class TelemetrySetup
{
    private const string ServiceName = "receiver";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<MetricsOptions, MetricsOptionsValidator>(MetricsOptions.Section);
        services.AddOptions<OtlpOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<OtlpOptions>, OtlpOptionsSetup>();
        services.AddSingleton<IValidateOptions<OtlpOptions>, OtlpOptionsValidator>();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(ReceiverMeter.Name)
                // http.server.request.duration and friends; .NET's own runtime and process meter.
                .AddAspNetCoreInstrumentation()
                .AddMeter("System.Runtime")
                // Every scrape collects afresh: a cached answer would hide what happened since the last one.
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) => metrics.AddView(OnlyOwnMeters(provider.GetRequiredService<IMeterFactory>())));

        // Whether to export is decided here, before options exist, because instrumentation costs every request even
        // when nothing reads it: without an endpoint no trace is ever started. Only the real configuration is seen
        // here, so settings that tests add later do not turn it on (their OTLP test runs the app as a process).
        var otlp = OtlpOptions.From(builder.Configuration);
        if (otlp.Enabled && Uri.TryCreate(otlp.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https")
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation()
                    .AddNpgsql()
                    .AddOtlpExporter(exporter => Export(exporter, otlp.Protocol, endpoint, "v1/traces")))
                .WithMetrics(metrics => metrics.AddOtlpExporter(exporter => Export(exporter, otlp.Protocol, endpoint, "v1/metrics")));
        }

        var urls = new ServerUrls(builder.Configuration["urls"]);
        services.AddSingleton(urls);
        if (urls.WithMetricsPort(builder.Configuration[$"{MetricsOptions.Section}:Port"]) is { } withMetrics) builder.WebHost.UseUrls(withMetrics);
        return builder;
    }

    /// <summary>
    /// Serves the scrape endpoint as configured. Options are read here, before the start-up validation reports a bad
    /// setting in one line (<c>RunReceiverAsync</c>): an endpoint with a bad setting is simply not mapped.
    /// </summary>
    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder routes)
    {
        MetricsOptions options;
        try
        {
            options = routes.ServiceProvider.GetRequiredService<IOptions<MetricsOptions>>().Value;
            // The instruments exist from the start, not from the first request that happens to need them (OTLP
            // exports them even with the scrape endpoint off). Some count in PostgreSQL (the rejected backlog), so
            // they need the database settings, which may be the bad ones: inside the guard.
            foreach (var instruments in routes.ServiceProvider.GetServices<ReceiverMeter.Instruments>())
                routes.ServiceProvider.GetRequiredService(instruments.Type);
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
        {
            return routes;
        }
        if (!options.Enabled) return routes;

        var scrape = routes.MapPrometheusScrapingEndpoint(options.Path).ExcludeFromDescription();
        if (options.RequireAuth) scrape.RequireQueryAuth(Scopes.Read);
        if (options.Port is { } port) scrape.Add(endpoint => OnlyOnPort(endpoint, port));
        return routes;
    }

    /// <summary>
    /// The local port the request came in on, not its Host header (which a client chooses): a request on any other
    /// port is answered 404, as if the endpoint did not exist there.
    /// </summary>
    private static void OnlyOnPort(EndpointBuilder endpoint, int port)
    {
        var scrape = endpoint.RequestDelegate!;
        endpoint.RequestDelegate = context =>
        {
            if (context.Connection.LocalPort == port) return scrape(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// Meters are listened to process-wide by name: those another host's meter factory made (several apps in one
    /// process, as in the tests) are that host's to report, not this one's. Meters of no host (the runtime's) stay.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OnlyOwnMeters(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && factory != own ? MetricStreamConfiguration.Drop : null;

    /// <summary>
    /// Over HTTP each signal has a path of its own under the collector's address (/v1/traces, /v1/metrics); the
    /// exporter appends it only to an endpoint it read from OTEL_EXPORTER_OTLP_ENDPOINT itself, so it is added here.
    /// </summary>
    private static void Export(OtlpExporterOptions exporter, string protocol, Uri endpoint, string signalPath)
    {
        if (protocol == OtlpOptions.GrpcProtocol)
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
            return;
        }
        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
        exporter.Endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath);
    }
}
