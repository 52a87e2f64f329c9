using System.Text;
using Microsoft.Extensions.Options;
using Receiver.Auth;

namespace Receiver.Reconciliation;

/// <summary>
/// <c>Reconciliation:*</c> settings: where AP's Platform API is and how to call it. AP's own variable names
/// (<c>PLATFORM_API_BASE_URL</c>, <c>PLATFORM_API_AUTH_TYPE</c>, <c>SECRET_PLATFORM_API_AUTH_SECRET</c>, ...) land
/// here too, so the env file that configures AP's platform server configures this as well.
/// </summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconciliation";

    /// <summary>AP's platform server, e.g. <c>http://platform:8085</c>; reconciliation is off while it is not set.</summary>
    public string? PlatformApiBaseUrl { get; set; }

    /// <summary>
    /// <c>rest</c> (<c>GET /transactions</c>, served by every AP line; deprecated since 3.0) or <c>rpc</c> (JSON-RPC
    /// <c>get_transactions</c>, AP 3.0 and later). REST by default, as the one protocol every AP line in use serves.
    /// </summary>
    public string Protocol { get; set; } = "rest";

    /// <summary>Time between two runs, over all instances; zero runs it only on demand (<c>POST /reconciliation/run</c>).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How far back, by AP's <c>started_at</c> (its <c>created_at</c>), a run lists AP's transactions.</summary>
    public TimeSpan Lookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Transactions per page of AP's <c>GET /transactions</c>.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>How long one call to the Platform API may take, each retry included.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public AuthSettings Auth { get; set; } = new();

    public bool Enabled => !string.IsNullOrWhiteSpace(PlatformApiBaseUrl);

    public PlatformApiProtocol ParsedProtocol => PlatformApiProtocols.Parse(Protocol) ?? throw new InvalidOperationException($"Unknown protocol '{Protocol}'.");

    public AuthType ParsedAuthType => AuthTypes.Parse(Auth.Type) ?? throw new InvalidOperationException($"Unknown auth type '{Auth.Type}'.");

    /// <summary>AP's <c>platform_server.auth</c>, as its business-server side names it (<c>platform_api.auth</c>).</summary>
    public sealed class AuthSettings
    {
        /// <summary><c>jwt</c>, <c>api_key</c> or <c>none</c>.</summary>
        public string? Type { get; set; }

        public string? Secret { get; set; }

        public JwtSettings Jwt { get; set; } = new();
        public ApiKeySettings ApiKey { get; set; } = new();
    }

    public sealed class JwtSettings
    {
        public string HttpHeader { get; set; } = "Authorization";

        /// <summary>Lifetime of each token, as AP's <c>jwt.expiration_milliseconds</c>.</summary>
        public int ExpirationMilliseconds { get; set; } = 30_000;
    }

    public sealed class ApiKeySettings
    {
        public string HttpHeader { get; set; } = "X-Api-Key";
    }
}

public enum PlatformApiProtocol
{
    Rest,
    Rpc,
}

internal static class PlatformApiProtocols
{
    public static PlatformApiProtocol? Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "rest" => PlatformApiProtocol.Rest,
        "rpc" => PlatformApiProtocol.Rpc,
        _ => null,
    };
}

internal sealed class ReconciliationOptionsValidator : IValidateOptions<ReconciliationOptions>
{
    // AP's own floor for JWT lifetimes (CallbackApiConfig, PlatformServerConfig): shorter tokens are refused at start.
    private const int MinimumJwtExpirationMilliseconds = 5000;

    public ValidateOptionsResult Validate(string? name, ReconciliationOptions options)
    {
        // Checked even while reconciliation is off, so a typo is found before the base URL is set.
        var failures = new List<string>();
        if (PlatformApiProtocols.Parse(options.Protocol) is null)
            failures.Add($"Reconciliation:Protocol is '{options.Protocol}': it must be rest (GET /transactions, every AP line) " +
                         "or rpc (JSON-RPC get_transactions, AP 3.0 and later).");
        if (!options.Enabled)
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        if (!Uri.TryCreate(options.PlatformApiBaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.Fragment))
            failures.Add($"Reconciliation:PlatformApiBaseUrl (env PLATFORM_API_BASE_URL) is '{options.PlatformApiBaseUrl}': " +
                         "it must be an absolute http:// or https:// URL without query, e.g. http://platform:8085.");
        if (options.Interval < TimeSpan.Zero || options.Interval > TimeSpan.FromDays(7))
            failures.Add($"Reconciliation:Interval must be between 00:00:00 (on demand only) and 7.00:00:00; it is {options.Interval}.");
        if (options.Lookback <= TimeSpan.Zero || options.Lookback > TimeSpan.FromDays(366))
            failures.Add($"Reconciliation:Lookback must be more than 0 and at most 366.00:00:00; it is {options.Lookback}.");
        if (options.PageSize is < 1 or > 1000)
            failures.Add($"Reconciliation:PageSize must be between 1 and 1000; it is {options.PageSize}.");
        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(10))
            failures.Add($"Reconciliation:RequestTimeout must be more than 0 and at most 00:10:00; it is {options.RequestTimeout}.");
        failures.AddRange(AuthFailures(options.Auth));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> AuthFailures(ReconciliationOptions.AuthSettings auth)
    {
        if (string.IsNullOrWhiteSpace(auth.Type))
        {
            yield return "Reconciliation:Auth:Type (env PLATFORM_API_AUTH_TYPE) is not set: choose jwt, api_key or none, as AP's platform_server.auth.type.";
            yield break;
        }
        var type = AuthTypes.Parse(auth.Type);
        if (type is null)
        {
            yield return $"Reconciliation:Auth:Type (env PLATFORM_API_AUTH_TYPE) is '{auth.Type}': it must be jwt, api_key or none.";
            yield break;
        }
        if (type is AuthType.Jwt or AuthType.ApiKey && string.IsNullOrEmpty(auth.Secret))
            yield return $"Reconciliation:Auth:Secret (env SECRET_PLATFORM_API_AUTH_SECRET) is not set: auth type {auth.Type} needs AP's secret.platform_api.auth_secret.";
        if (type is AuthType.Jwt && !string.IsNullOrEmpty(auth.Secret)
            && Encoding.UTF8.GetByteCount(auth.Secret) < CallbackAuthOptionsValidator.MinimumJwtSecretBytes)
            yield return $"Reconciliation:Auth:Secret (env SECRET_PLATFORM_API_AUTH_SECRET) is too weak for jwt: it must be at least " +
                         $"{CallbackAuthOptionsValidator.MinimumJwtSecretBytes} bytes, as AP requires.";
        if (type is AuthType.Jwt && string.IsNullOrWhiteSpace(auth.Jwt.HttpHeader))
            yield return "Reconciliation:Auth:Jwt:HttpHeader (env PLATFORM_API_AUTH_JWT_HTTP_HEADER) must not be empty.";
        if (type is AuthType.Jwt && auth.Jwt.ExpirationMilliseconds is < MinimumJwtExpirationMilliseconds or > 3_600_000)
            yield return $"Reconciliation:Auth:Jwt:ExpirationMilliseconds must be between {MinimumJwtExpirationMilliseconds} and 3600000, as AP requires at least 5 s; " +
                         $"it is {auth.Jwt.ExpirationMilliseconds}.";
        if (type is AuthType.ApiKey && string.IsNullOrWhiteSpace(auth.ApiKey.HttpHeader))
            yield return "Reconciliation:Auth:ApiKey:HttpHeader (env PLATFORM_API_AUTH_API_KEY_HTTP_HEADER) must not be empty.";
    }
}
