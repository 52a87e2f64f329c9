using System.Collections;

namespace Receiver.Configuration;

/// <summary>
/// Reads the environment variables AP itself is configured with, so one env file serves AP and us.
/// Added after the usual sources, so these names win over appsettings.json and <c>CallbackApi__Auth__*</c>.
/// </summary>
public static class AnchorPlatformEnvironment
{
    internal static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        ["CALLBACK_API_BASE_URL"] = "CallbackApi:BaseUrl",
        ["CALLBACK_API_AUTH_TYPE"] = "CallbackApi:Auth:Type",
        ["SECRET_CALLBACK_API_AUTH_SECRET"] = "CallbackApi:Auth:Secret",
        ["CALLBACK_API_AUTH_JWT_HTTP_HEADER"] = "CallbackApi:Auth:Jwt:HttpHeader",
        ["CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS"] = "CallbackApi:Auth:Jwt:ExpirationMilliseconds",
        ["CALLBACK_API_AUTH_API_KEY_HTTP_HEADER"] = "CallbackApi:Auth:ApiKey:HttpHeader",
        // AP's business-server side of the platform API (platform_api.*), for reconciliation.
        ["PLATFORM_API_BASE_URL"] = "Reconciliation:PlatformApiBaseUrl",
        ["PLATFORM_API_AUTH_TYPE"] = "Reconciliation:Auth:Type",
        ["SECRET_PLATFORM_API_AUTH_SECRET"] = "Reconciliation:Auth:Secret",
        ["PLATFORM_API_AUTH_JWT_HTTP_HEADER"] = "Reconciliation:Auth:Jwt:HttpHeader",
        ["PLATFORM_API_AUTH_JWT_EXPIRATION_MILLISECONDS"] = "Reconciliation:Auth:Jwt:ExpirationMilliseconds",
        ["PLATFORM_API_AUTH_API_KEY_HTTP_HEADER"] = "Reconciliation:Auth:ApiKey:HttpHeader",
    };

    public static IConfigurationBuilder AddAnchorPlatformEnvironment(this IConfigurationBuilder configuration) =>
        configuration.AddInMemoryCollection(Map(Environment.GetEnvironmentVariables()));

    internal static IEnumerable<KeyValuePair<string, string?>> Map(IDictionary environment)
    {
        foreach (var (variable, key) in Keys)
        {
            if (environment[variable] is string value && value.Length > 0)
                yield return new(key, value);
        }
    }
}
