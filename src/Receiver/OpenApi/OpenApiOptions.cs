namespace Receiver.OpenApi;

/// <summary><c>OpenApi:*</c> settings.</summary>
public sealed class OpenApiOptions
{
    public const string Section = "OpenApi";

    /// <summary>
    /// Serve the OpenAPI document and Swagger UI under <c>/swagger</c>, to anyone who reaches the port: they hold the
    /// public contract and the header names this instance reads, no secret.
    /// </summary>
    public bool Enabled { get; set; } = true;
}
