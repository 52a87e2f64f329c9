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

        /// <summary>
        /// Keys that open the whole query API, with every scope (as before scopes existed); several at once so keys
        /// can be rotated without downtime.
        /// </summary>
        public List<string> Keys { get; set; } = [];

        /// <summary>Keys that grant only the scopes they are given, each named for the audit trail.</summary>
        public List<ApiKeyClient> Clients { get; set; } = [];

        /// <summary>Who holds each accepted key and what it grants.</summary>
        internal IEnumerable<ApiKeyHolder> Holders() =>
            Keys.Select((key, i) => new ApiKeyHolder(key, $"{Section}:ApiKey:Keys:{i}", Scopes.All))
                .Concat(Clients.Select(client => new ApiKeyHolder(client.Key ?? "", client.Name ?? "", ScopeList.Parse(client.Scopes))));
    }

    public sealed class ApiKeyClient
    {
        /// <summary>Who holds the key, as the audit trail records it.</summary>
        public string? Name { get; set; }

        public string? Key { get; set; }

        /// <summary>Scopes granted, separated by spaces or commas: <c>read</c>, <c>read:personal</c>, <c>operate</c>.</summary>
        public string? Scopes { get; set; }
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

        /// <summary>
        /// The claim that carries a token's scopes: a string of scopes separated by spaces (OAuth's <c>scope</c>), or an
        /// array of them (as some providers send <c>scp</c>).
        /// </summary>
        public string ScopeClaim { get; set; } = "scope";

        /// <summary>
        /// The scopes of a token without <see cref="ScopeClaim"/>. Every scope by default, as before scopes existed;
        /// set it to <c>read</c> (or empty) once the provider issues scopes.
        /// </summary>
        public string DefaultScopes { get; set; } = string.Join(' ', Receiver.Auth.Scopes.All);

        /// <summary>The claim that names the caller in the audit trail.</summary>
        public string CallerClaim { get; set; } = "sub";
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
        if (apiKey.Keys.Count == 0 && apiKey.Clients.Count == 0 && !environment.IsDevelopment())
            failures.Add("QueryApi:Auth:ApiKey:Keys and Clients are empty: give at least one key (env QueryApi__Auth__ApiKey__Keys__0), " +
                         "or set QueryApi:Auth:Type=none to open the query API to anyone who can reach it.");
        for (var i = 0; i < apiKey.Keys.Count; i++) KeyFailures(failures, $"QueryApi:Auth:ApiKey:Keys:{i}", apiKey.Keys[i]);
        for (var i = 0; i < apiKey.Clients.Count; i++)
        {
            var client = apiKey.Clients[i];
            var name = $"QueryApi:Auth:ApiKey:Clients:{i}";
            if (string.IsNullOrWhiteSpace(client.Name))
                failures.Add($"{name}:Name is not set: the audit trail names each caller.");
            else if (apiKey.Clients.Take(i).Any(other => other.Name == client.Name))
                failures.Add($"{name}:Name '{client.Name}' is given to another client too: the audit trail could not tell them apart.");
            KeyFailures(failures, $"{name}:Key", client.Key);
            failures.AddRange(ScopeList.Failures($"{name}:Scopes", client.Scopes, allowEmpty: false));
        }
        var keys = apiKey.Holders().Select(holder => holder.Key).Where(key => !string.IsNullOrEmpty(key)).ToList();
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            failures.Add("QueryApi:Auth:ApiKey: a key is given twice (in Keys or Clients): each key must say who holds it.");
        return failures;
    }

    private void KeyFailures(List<string> failures, string name, string? key)
    {
        if (key is not { Length: >= MinimumKeyLength } || key.Any(char.IsWhiteSpace))
            failures.Add($"{name} must be at least {MinimumKeyLength} characters without spaces.");
        else if (callback.Value.IsCallbackSecret(key))
            failures.Add($"{name} is AP's callback secret (CallbackApi:Auth:Secret or PreviousSecrets): the query API needs credentials of its own.");
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
        if (string.IsNullOrWhiteSpace(jwt.ScopeClaim))
            failures.Add("QueryApi:Auth:Jwt:ScopeClaim must name the claim that carries a token's scopes.");
        if (string.IsNullOrWhiteSpace(jwt.CallerClaim))
            failures.Add("QueryApi:Auth:Jwt:CallerClaim must name the claim that names the caller.");
        failures.AddRange(ScopeList.Failures("QueryApi:Auth:Jwt:DefaultScopes", jwt.DefaultScopes, allowEmpty: true));
        if (hasKey && callback.Value.IsCallbackSecret(jwt.SigningKey))
            failures.Add("QueryApi:Auth:Jwt:SigningKey is AP's callback secret (CallbackApi:Auth:Secret or PreviousSecrets): the query API needs credentials of its own.");
        return failures;
    }
}
