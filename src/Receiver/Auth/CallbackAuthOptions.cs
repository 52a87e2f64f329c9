using System.Text;
using Microsoft.Extensions.Options;
using Receiver.AnchorPlatform;

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

    /// <summary>
    /// Secrets AP used before <see cref="Secret"/>, still accepted until <see cref="PreviousSecretsUntil"/>: AP and
    /// Receiver cannot switch secrets at the same instant, and a refused event stalls AP's whole pipeline.
    /// </summary>
    public List<string> PreviousSecrets { get; set; } = [];

    /// <summary>
    /// RFC 3339 instant after which <see cref="PreviousSecrets"/> are refused. Required with them, so a retired
    /// secret cannot stay valid forever because someone forgot to remove it.
    /// </summary>
    public string? PreviousSecretsUntil { get; set; }

    /// <summary>The end of the grace period; <see cref="DateTimeOffset.MinValue"/> (none) when not set or not valid.</summary>
    internal DateTimeOffset PreviousSecretsDeadline =>
        PreviousSecrets.Count > 0 && Rfc3339.TryParse(PreviousSecretsUntil, out var until) ? until : DateTimeOffset.MinValue;

    /// <summary>Whether <paramref name="value"/> is one of AP's callback secrets, current or previous.</summary>
    internal bool IsCallbackSecret(string? value) => value is not null && (value == Secret || PreviousSecrets.Contains(value));

    public JwtSettings Jwt { get; set; } = new();
    public ApiKeySettings ApiKey { get; set; } = new();

    public AuthType ParsedType => AuthTypes.Parse(Type) ?? throw new InvalidOperationException($"Unknown auth type '{Type}'.");

    public sealed class JwtSettings
    {
        public string HttpHeader { get; set; } = "Authorization";

        /// <summary>Tolerance for <c>exp</c> and <c>iat</c>; AP's tokens live 30 s.</summary>
        public int ClockSkewSeconds { get; set; } = 30;

        /// <summary>
        /// AP's <c>callback_api.auth.jwt.expiration_milliseconds</c>: the life AP gives each token. A token whose
        /// <c>exp - iat</c> is longer was not minted by AP, or was minted to be replayed.
        /// </summary>
        public long ExpirationMilliseconds { get; set; } = 30_000;
    }

    /// <summary>
    /// Where an <c>api_key</c> callback may carry the key: always <c>X-Api-Key</c>, because AP 3.0 and later send it
    /// there whatever <c>callback_api.auth.api_key.http_header</c> says (<c>AuthHelper.forApiKey</c> ignores the header
    /// name at 3.1.4 and 4.3.0); and the configured header, which AP 2.x honours.
    /// </summary>
    internal IReadOnlyList<string> ApiKeyHeaders =>
        [.. new[] { ApiKeySettings.ApThreeHeader, ApiKey.HttpHeader }.Distinct(StringComparer.OrdinalIgnoreCase)];

    public sealed class ApiKeySettings
    {
        /// <summary>The header AP 3.0 and later always put the key in.</summary>
        internal const string ApThreeHeader = "X-Api-Key";

        /// <summary>AP's <c>callback_api.auth.api_key.http_header</c>: where AP 2.x puts the key.</summary>
        public string HttpHeader { get; set; } = ApThreeHeader;
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
        if (type is AuthType.Jwt or AuthType.ApiKey) failures.AddRange(PreviousSecretFailures(options, type.Value));
        if (type is AuthType.Jwt && string.IsNullOrWhiteSpace(options.Jwt.HttpHeader))
            failures.Add("CallbackApi:Auth:Jwt:HttpHeader (env CALLBACK_API_AUTH_JWT_HTTP_HEADER) must not be empty.");
        if (type is AuthType.ApiKey && string.IsNullOrWhiteSpace(options.ApiKey.HttpHeader))
            failures.Add("CallbackApi:Auth:ApiKey:HttpHeader (env CALLBACK_API_AUTH_API_KEY_HTTP_HEADER) must not be empty.");
        // AP sets no upper bound; a year keeps the bound a TimeSpan.
        if (options.Jwt.ExpirationMilliseconds is < 1_000 or > 31_536_000_000)
            failures.Add("CallbackApi:Auth:Jwt:ExpirationMilliseconds (env CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS) must be between 1000 and " +
                         $"31536000000 (a year), as AP's callback_api.auth.jwt.expiration_milliseconds; it is {options.Jwt.ExpirationMilliseconds}.");
        if (options.Jwt.ClockSkewSeconds is < 0 or > 300)
            failures.Add($"CallbackApi:Auth:Jwt:ClockSkewSeconds must be between 0 and 300; it is {options.Jwt.ClockSkewSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> PreviousSecretFailures(CallbackAuthOptions options, AuthType type)
    {
        for (var i = 0; i < options.PreviousSecrets.Count; i++)
        {
            var secret = options.PreviousSecrets[i];
            if (string.IsNullOrEmpty(secret))
                yield return $"CallbackApi:Auth:PreviousSecrets:{i} is empty.";
            else if (type is AuthType.Jwt && Encoding.UTF8.GetByteCount(secret) < MinimumJwtSecretBytes)
                yield return $"CallbackApi:Auth:PreviousSecrets:{i} is too weak for jwt: it must be at least {MinimumJwtSecretBytes} bytes, as AP requires.";
        }
        if (options.PreviousSecrets.Count > 0 && string.IsNullOrWhiteSpace(options.PreviousSecretsUntil))
            yield return "CallbackApi:Auth:PreviousSecretsUntil is not set: give the instant after which CallbackApi:Auth:PreviousSecrets are refused, " +
                         "e.g. 2025-07-01T12:00:00Z.";
        else if (!string.IsNullOrWhiteSpace(options.PreviousSecretsUntil) && !Rfc3339.TryParse(options.PreviousSecretsUntil, out _))
            yield return $"CallbackApi:Auth:PreviousSecretsUntil is '{options.PreviousSecretsUntil}': it must be an RFC 3339 instant with an offset, e.g. 2025-07-01T12:00:00Z.";
    }
}
