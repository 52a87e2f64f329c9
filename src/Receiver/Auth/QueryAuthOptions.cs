using System.Text;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary><c>QueryApi:Auth:*</c> settings: separate from AP's callback credentials, which never open the query API.</summary>
public sealed class QueryAuthOptions
{
    public const string Section = "QueryApi:Auth";

    /// <summary><c>api_key</c> (default), <c>jwt</c> or <c>none</c>.</summary>
    public string Type { get; set; } = "api_key";

    public ApiKeySettings ApiKey { get; set; } = new();
    public JwtSettings Jwt { get; set; } = new();

    public AuthType ParsedType => AuthTypes.Parse(Type) ?? throw new InvalidOperationException($"Unknown query auth type '{Type}'.");

    public sealed class ApiKeySettings
    {
        public string HttpHeader { get; set; } = "X-Api-Key";

        /// <summary>Every key that opens the query API; several at once so keys can be rotated without downtime.</summary>
        public List<string> Keys { get; set; } = [];
    }

    /// <summary>Either an OIDC <see cref="Authority"/> with an <see cref="Audience"/>, or a symmetric <see cref="SigningKey"/> with both <see cref="Issuer"/> and <see cref="Audience"/>.</summary>
    public sealed class JwtSettings
    {
        public string? Authority { get; set; }
        public string? Audience { get; set; }
        public string? Issuer { get; set; }
        public string? SigningKey { get; set; }
        public bool RequireHttpsMetadata { get; set; } = true;
        public int ClockSkewSeconds { get; set; } = 30;
    }
}

internal sealed class QueryAuthOptionsValidator(IHostEnvironment environment, IOptions<CallbackAuthOptions> callback)
    : IValidateOptions<QueryAuthOptions>
{
    internal const int MinimumKeyLength = 16;
    internal const int MinimumSigningKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, QueryAuthOptions options)
    {
        var type = AuthTypes.Parse(options.Type);
        if (type is null)
            return ValidateOptionsResult.Fail($"QueryApi:Auth:Type is '{options.Type}': it must be api_key, jwt or none.");

        var failures = type switch
        {
            AuthType.ApiKey => ApiKeyFailures(options.ApiKey),
            AuthType.Jwt => JwtFailures(options.Jwt),
            _ => [],
        };
        if (options.Jwt.ClockSkewSeconds is < 0 or > 300)
            failures.Add($"QueryApi:Auth:Jwt:ClockSkewSeconds must be between 0 and 300; it is {options.Jwt.ClockSkewSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private List<string> ApiKeyFailures(QueryAuthOptions.ApiKeySettings apiKey)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(apiKey.HttpHeader))
            failures.Add("QueryApi:Auth:ApiKey:HttpHeader must not be empty.");
        if (apiKey.Keys.Count == 0 && !environment.IsDevelopment())
            failures.Add("QueryApi:Auth:ApiKey:Keys is empty: give at least one key (env QueryApi__Auth__ApiKey__Keys__0), " +
                         "or set QueryApi:Auth:Type=none to open the query API to anyone who can reach it.");
        for (var i = 0; i < apiKey.Keys.Count; i++)
        {
            if (apiKey.Keys[i] is not { Length: >= MinimumKeyLength } key || key.Any(char.IsWhiteSpace))
                failures.Add($"QueryApi:Auth:ApiKey:Keys:{i} must be at least {MinimumKeyLength} characters without spaces.");
            else if (callback.Value.IsCallbackSecret(key))
                failures.Add($"QueryApi:Auth:ApiKey:Keys:{i} is AP's callback secret (CallbackApi:Auth:Secret or PreviousSecrets): the query API needs credentials of its own.");
        }
        return failures;
    }

    private List<string> JwtFailures(QueryAuthOptions.JwtSettings jwt)
    {
        var failures = new List<string>();
        var hasAuthority = !string.IsNullOrWhiteSpace(jwt.Authority);
        var hasKey = !string.IsNullOrEmpty(jwt.SigningKey);
        if (hasAuthority == hasKey)
            failures.Add("QueryApi:Auth:Jwt needs exactly one of Authority (an OIDC issuer URL) or SigningKey (a shared HMAC key).");
        if (string.IsNullOrWhiteSpace(jwt.Audience))
            failures.Add("QueryApi:Auth:Jwt:Audience is not set: tokens are accepted only for this audience.");
        Uri? authority = null;
        if (hasAuthority && !Uri.TryCreate(jwt.Authority, UriKind.Absolute, out authority))
            failures.Add($"QueryApi:Auth:Jwt:Authority '{jwt.Authority}' is not an absolute URL.");
        else if (authority is not null && authority.Scheme != Uri.UriSchemeHttps && jwt.RequireHttpsMetadata)
            failures.Add($"QueryApi:Auth:Jwt:Authority '{jwt.Authority}' is not https: its keys could be forged in transit. " +
                         "Set QueryApi:Auth:Jwt:RequireHttpsMetadata=false only for a local test provider.");
        if (hasKey && string.IsNullOrWhiteSpace(jwt.Issuer))
            failures.Add("QueryApi:Auth:Jwt:Issuer is not set: with a SigningKey, tokens are accepted only from this issuer.");
        if (hasKey && Encoding.UTF8.GetByteCount(jwt.SigningKey!) < MinimumSigningKeyBytes)
            failures.Add($"QueryApi:Auth:Jwt:SigningKey must be at least {MinimumSigningKeyBytes} bytes.");
        if (hasKey && callback.Value.IsCallbackSecret(jwt.SigningKey))
            failures.Add("QueryApi:Auth:Jwt:SigningKey is AP's callback secret (CallbackApi:Auth:Secret or PreviousSecrets): the query API needs credentials of its own.");
        return failures;
    }
}
