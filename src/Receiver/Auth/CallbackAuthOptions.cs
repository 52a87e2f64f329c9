using System.Text;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary>
/// <c>CallbackApi:Auth:*</c> settings. The AP-style environment variables (<c>CALLBACK_API_AUTH_TYPE</c>,
/// <c>SECRET_CALLBACK_API_AUTH_SECRET</c>, ...) land here too, so one env file configures AP and us.
/// </summary>
public sealed class CallbackAuthOptions
{
    public const string Section = "CallbackApi:Auth";

    /// <summary><c>jwt</c>, <c>api_key</c> or <c>none</c>, spelled as in AP's configuration.</summary>
    public string? Type { get; set; }

    public string? Secret { get; set; }
    public JwtSettings Jwt { get; set; } = new();
    public ApiKeySettings ApiKey { get; set; } = new();

    public AuthType ParsedType => AuthTypes.Parse(Type) ?? throw new InvalidOperationException($"Unknown auth type '{Type}'.");

    public sealed class JwtSettings
    {
        public string HttpHeader { get; set; } = "Authorization";

        /// <summary>Tolerance for <c>exp</c> and <c>iat</c>; AP's tokens live 30 s.</summary>
        public int ClockSkewSeconds { get; set; } = 30;
    }

    public sealed class ApiKeySettings
    {
        public string HttpHeader { get; set; } = "X-Api-Key";
    }
}

internal sealed class CallbackAuthOptionsValidator : IValidateOptions<CallbackAuthOptions>
{
    // AP refuses weaker JWT secrets (KeyUtil.rejectWeakJWTSecret), and HS256 needs a 256-bit key.
    internal const int MinimumJwtSecretBytes = 32;

    public ValidateOptionsResult Validate(string? name, CallbackAuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Type))
            return ValidateOptionsResult.Fail(
                "CallbackApi:Auth:Type (env CALLBACK_API_AUTH_TYPE) is not set: choose jwt, api_key or none, as in AP's callback_api.auth.type.");

        var type = AuthTypes.Parse(options.Type);
        if (type is null)
            return ValidateOptionsResult.Fail(
                $"CallbackApi:Auth:Type (env CALLBACK_API_AUTH_TYPE) is '{options.Type}': it must be jwt, api_key or none.");

        var failures = new List<string>();
        if (type is AuthType.Jwt or AuthType.ApiKey && string.IsNullOrEmpty(options.Secret))
            failures.Add($"CallbackApi:Auth:Secret (env SECRET_CALLBACK_API_AUTH_SECRET) is not set: auth type {options.Type} needs the secret AP uses.");
        if (type is AuthType.Jwt && !string.IsNullOrEmpty(options.Secret)
            && Encoding.UTF8.GetByteCount(options.Secret) < MinimumJwtSecretBytes)
            failures.Add($"CallbackApi:Auth:Secret (env SECRET_CALLBACK_API_AUTH_SECRET) is too weak for jwt: it must be at least {MinimumJwtSecretBytes} bytes, as AP requires.");
        if (type is AuthType.Jwt && string.IsNullOrWhiteSpace(options.Jwt.HttpHeader))
            failures.Add("CallbackApi:Auth:Jwt:HttpHeader (env CALLBACK_API_AUTH_JWT_HTTP_HEADER) must not be empty.");
        if (type is AuthType.ApiKey && string.IsNullOrWhiteSpace(options.ApiKey.HttpHeader))
            failures.Add("CallbackApi:Auth:ApiKey:HttpHeader (env CALLBACK_API_AUTH_API_KEY_HTTP_HEADER) must not be empty.");
        if (options.Jwt.ClockSkewSeconds is < 0 or > 300)
            failures.Add($"CallbackApi:Auth:Jwt:ClockSkewSeconds must be between 0 and 300; it is {options.Jwt.ClockSkewSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
