using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Receiver.Auth;

/// <summary>How callers of one API authenticate, spelled as in AP's configuration.</summary>
public enum AuthType
{
    Jwt,
    ApiKey,
    None,
}

internal static class AuthTypes
{
    public static AuthType? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "jwt" => AuthType.Jwt,
        "api_key" or "apikey" => AuthType.ApiKey,
        "none" => AuthType.None,
        _ => null,
    };
}

/// <summary>
/// One API's authentication, switchable between JWT, API key and none by its settings: an authorization policy named
/// after the API that authenticates with the scheme the configured type picks. The pick is made when the policy is
/// built, as the pipeline is built at start, once the settings are bound (tests bind theirs late), so each request
/// runs that one handler rather than a policy scheme forwarding to it. Each API gets schemes of its own, so one API's
/// credential never opens another.
/// </summary>
internal static class SwitchableAuth
{
    public static void AddSwitchableAuth<TOptions>(
        this IServiceCollection services, string name, Func<TOptions, AuthType> typeOf,
        Action<JwtBearerOptions, TOptions> configureJwt, Action<ApiKeyAuthenticationOptions, TOptions> configureApiKey,
        Action<AuthorizationPolicyBuilder>? authorize = null)
        where TOptions : class
    {
        var jwtScheme = name + ".Jwt";
        var apiKeyScheme = name + ".ApiKey";
        services.AddAuthentication()
            .AddJwtBearer(jwtScheme)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(apiKeyScheme, null);
        services.Configure<AuthenticationOptions>(options =>
        {
            // The none scheme is shared by every API.
            if (options.Schemes.All(scheme => scheme.Name != NoAuthenticationHandler.SchemeName))
                options.AddScheme<NoAuthenticationHandler>(NoAuthenticationHandler.SchemeName, null);
        });
        services.AddOptions<JwtBearerOptions>(jwtScheme).Configure<IOptions<TOptions>>((jwt, options) =>
        {
            jwt.TokenHandlers.Clear();
            jwt.TokenHandlers.Add(new KeyRedactingTokenHandler());
            configureJwt(jwt, options.Value);
        });
        services.AddOptions<ApiKeyAuthenticationOptions>(apiKeyScheme).Configure<IOptions<TOptions>>((apiKey, options) => configureApiKey(apiKey, options.Value));
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<TOptions>>((authorization, options) =>
            authorization.AddPolicy(name, policy =>
            {
                policy.AddAuthenticationSchemes(typeOf(options.Value) switch
                {
                    AuthType.Jwt => jwtScheme,
                    AuthType.ApiKey => apiKeyScheme,
                    _ => NoAuthenticationHandler.SchemeName,
                }).RequireAuthenticatedUser();
                authorize?.Invoke(policy);
            }));
    }

    /// <summary>A 401 with a short problem body saying what was wrong with the token, or where it was expected.</summary>
    public static Task ChallengeAsync(JwtBearerChallengeContext context, string header)
    {
        context.HandleResponse();
        var detail = context.AuthenticateFailure is { } failure
            ? Describe(failure)
            : $"Missing token: send 'Bearer <JWT>' in the {header} header.";
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return AuthProblem.WriteAsync(context.HttpContext, "invalid_token", detail);
    }

    private static string Describe(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNoExpirationException => "The token has no exp claim.",
        SecurityTokenInvalidAlgorithmException => "The token is not signed with an accepted algorithm (HS256 for AP's tokens).",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token signature is invalid.",
        SecurityTokenNotYetValidException => "The token is not valid yet (nbf).",
        SecurityTokenInvalidIssuerException => "The token's issuer is not accepted.",
        SecurityTokenInvalidAudienceException => "The token is not meant for this API (audience).",
        SecurityTokenMalformedException or ArgumentException => "The token is malformed.",
        AuthenticationFailureException => failure.Message,
        _ => "The token is invalid.",
    };
}

/// <summary>
/// IdentityModel's own handler, with one change to what it reports: a failed signature check lists the keys it tried,
/// each named by its JWK thumbprint ("InternalId"), an unsalted SHA-256 of the shared secret. JwtBearer logs that
/// message at Information on every bad token, where it would let anyone who reads the logs test guesses of a weak
/// secret offline. The failure keeps its type (JwtBearer refreshes an authority's keys on a key not found, and the 401
/// says why from the type alone) and loses the key list.
/// </summary>
internal sealed class KeyRedactingTokenHandler : JsonWebTokenHandler
{
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            result.Exception = new SecurityTokenSignatureKeyNotFoundException("The token signature matches none of the configured keys.");
        else if (result.Exception is SecurityTokenInvalidSignatureException)
            result.Exception = new SecurityTokenInvalidSignatureException("The token signature is invalid.");
        return result;
    }
}
