using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Receiver.Configuration;

namespace Receiver.Auth;

/// <summary>
/// Authentication of AP's calls to <c>POST /event</c>, exactly as AP builds them (AuthHelper.createCallbackAuthHeader):
/// <list type="bullet">
/// <item><c>jwt</c>: <c>Bearer &lt;token&gt;</c> in the configured header, HS256 over the secret's UTF-8 bytes, claims <c>iat</c> and <c>exp</c> only;</item>
/// <item><c>api_key</c>: the secret verbatim, in <c>X-Api-Key</c> from AP 3.0 on, in the configured header before;</item>
/// <item><c>none</c>: no header at all.</item>
/// </list>
/// </summary>
public static class CallbackAuth
{
    public const string Policy = "CallbackApi";

    public static IServiceCollection AddCallbackAuth(this IServiceCollection services)
    {
        services.AddValidatedOptions<CallbackAuthOptions, CallbackAuthOptionsValidator>(CallbackAuthOptions.Section);
        services.AddHostedService<CallbackAuthStartupWarning>();
        services.AddSwitchableAuth<CallbackAuthOptions>(Policy, callback => callback.ParsedType, ConfigureJwt,
            (apiKey, callback) =>
            {
                apiKey.HttpHeaders = callback.ApiKeyHeaders;
                apiKey.Keys = new KeySet([callback.Secret]);
                apiKey.PreviousKeys = new KeySet(callback.PreviousSecrets);
                apiKey.PreviousKeysUntil = callback.PreviousSecretsDeadline;
                apiKey.WrongKeyDetail = "The API key is not the configured secret.";
            });
        return services;
    }

    public static TBuilder RequireCallbackAuth<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(Policy);

    private static void ConfigureJwt(JwtBearerOptions jwt, CallbackAuthOptions callback)
    {
        var header = callback.Jwt.HttpHeader;
        SecurityKey[] current = string.IsNullOrEmpty(callback.Secret) ? [] : [SigningKey(callback.Secret)];
        SecurityKey[] currentAndPrevious = [.. current, .. callback.PreviousSecrets.Select(SigningKey)];
        var previousUntil = callback.PreviousSecretsDeadline;
        var clockSkew = TimeSpan.FromSeconds(callback.Jwt.ClockSkewSeconds);
        var recent = new RecentToken();
        DateTimeOffset Now() => (jwt.TimeProvider ?? TimeProvider.System).GetUtcNow();
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            // AP's token carries no iss, aud, sub or jti: only iat and exp.
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = clockSkew,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            // Chosen per token, so the grace period of the previous secrets ends on time without a restart. AP's
            // tokens carry no kid: every key returned is tried. jwt.TimeProvider is the app's clock (set from DI); the
            // token's own lifetime IdentityModel checks on the system clock.
            IssuerSigningKeyResolver = (_, _, _, _) => Now() < previousUntil ? currentAndPrevious : current,
        };
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                // AP prefixes "Bearer " even when the header name is customised.
                string? value = context.Request.Headers[header];
                if (value is null || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                {
                    context.NoResult();
                    return Task.CompletedTask;
                }
                context.Token = value["Bearer ".Length..].Trim();
                if (recent.Find(context.Token, Now()) is { } principal)
                {
                    context.Principal = principal;
                    context.Success();
                }
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (context.SecurityToken is not JsonWebToken token) return Task.CompletedTask;
                var now = Now();
                if (UnacceptableClaims(token, now, clockSkew, callback.Jwt.ExpirationMilliseconds) is { } reason)
                    context.Fail(reason);
                else if (context.Principal is { } principal)
                {
                    recent.Remember(token.EncodedToken, principal, new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + clockSkew,
                        now < previousUntil ? previousUntil : DateTimeOffset.MaxValue);
                }
                return Task.CompletedTask;
            },
            OnChallenge = context => SwitchableAuth.ChallengeAsync(context, header),
        };
    }

    private static SymmetricSecurityKey SigningKey(string secret) => new(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// Checks the signature alone cannot: AP's two claims, a life no longer than AP gives its tokens, and no header
    /// that points at other keys or demands extensions.
    /// </summary>
    private static string? UnacceptableClaims(JsonWebToken token, DateTimeOffset now, TimeSpan clockSkew, long expirationMilliseconds)
    {
        foreach (var keyHeader in (string[])["kid", "jku", "jwk", "x5u", "x5c"])
        {
            if (token.TryGetHeaderValue<object>(keyHeader, out _))
                return $"The token must not carry a '{keyHeader}' header: the key is the shared secret.";
        }
        // RFC 7515 §4.1.11: a recipient must refuse a token whose crit names an extension it does not understand,
        // and AP's tokens use none.
        if (token.TryGetHeaderValue<object>("crit", out _))
            return "The token's crit header demands extensions this receiver does not understand.";
        if (!token.TryGetClaim(JwtRegisteredClaimNames.Iat, out _))
            return "The token has no iat claim.";
        if (token.IssuedAt > now.UtcDateTime + clockSkew)
            return "The token's iat is in the future beyond the allowed clock skew.";
        // AP's exp - iat is its setting rounded down to whole seconds (AuthHelper, 2.10.2 to 4.3.0); the second of slack
        // spares a token minted by code that rounds exp up instead (docs/anchor-platform.md, "Authentication").
        if (token.ValidTo - token.IssuedAt > TimeSpan.FromMilliseconds(expirationMilliseconds) + TimeSpan.FromSeconds(1))
            return $"The token lives {(token.ValidTo - token.IssuedAt).TotalSeconds:0} s (exp - iat), longer than AP's tokens " +
                   $"(CallbackApi:Auth:Jwt:ExpirationMilliseconds: {expirationMilliseconds} ms).";
        return null;
    }
}

internal sealed partial class CallbackAuthStartupWarning(
    IOptions<CallbackAuthOptions> options, TimeProvider clock, ILogger<CallbackAuthStartupWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var callback = options.Value;
        if (callback.ParsedType == AuthType.None) LogNoAuth(logger);
        else if (callback.PreviousSecrets.Count > 0)
        {
            var until = callback.PreviousSecretsDeadline;
            if (clock.GetUtcNow() < until) LogPreviousSecretsAccepted(logger, callback.PreviousSecrets.Count, until);
            else LogPreviousSecretsExpired(logger, until);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "CallbackApi:Auth:Type is none: POST /event accepts events from anyone who can reach it. Use jwt or api_key outside a closed network.")]
    private static partial void LogNoAuth(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "CallbackApi:Auth:PreviousSecrets: {Count} previous secret(s) accepted until {Until:O}, besides CallbackApi:Auth:Secret.")]
    private static partial void LogPreviousSecretsAccepted(ILogger logger, int count, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "CallbackApi:Auth:PreviousSecretsUntil ({Until:O}) has passed: the previous secrets are refused. Remove CallbackApi:Auth:PreviousSecrets.")]
    private static partial void LogPreviousSecretsExpired(ILogger logger, DateTimeOffset until);
}
