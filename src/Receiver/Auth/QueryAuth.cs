using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Receiver.Configuration;

namespace Receiver.Auth;

/// <summary>
/// Authentication of the query API: API keys (several, for rotation) or bearer JWTs from an OIDC authority or signed
/// with a shared key. Schemes of their own, so AP's callback credential never opens a query and a query key never
/// opens <c>/event</c>, even when both use the same header.
/// </summary>
public static class QueryAuth
{
    public const string Policy = "QueryApi";

    public static IServiceCollection AddQueryAuth(this IServiceCollection services)
    {
        services.AddValidatedOptions<QueryAuthOptions, QueryAuthOptionsValidator>(QueryAuthOptions.Section);
        services.AddHostedService<QueryAuthStartupWarning>();
        services.AddSwitchableAuth<QueryAuthOptions>(Policy, query => query.ParsedType,
            (jwt, query) => ConfigureJwt(jwt, query.Jwt),
            (apiKey, query) =>
            {
                apiKey.HttpHeaders = [query.ApiKey.HttpHeader];
                apiKey.Keys = new KeySet(query.ApiKey.Holders());
                apiKey.WrongKeyDetail = "The API key is not one of QueryApi:Auth:ApiKey:Keys or Clients.";
            },
            policy => policy.AddRequirements(new EndpointScopeRequirement()));
        services.AddSingleton<IAuthorizationHandler, EndpointScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, InsufficientScopeResultHandler>();
        return services;
    }

    /// <summary>
    /// The query credentials, holding <paramref name="scope"/>. On a group it is the default of its endpoints; an
    /// endpoint's own call replaces it (a replay needs <c>operate</c>, not <c>read</c> as the rest of its group).
    /// </summary>
    public static TBuilder RequireQueryAuth<TBuilder>(this TBuilder endpoint, string scope) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(Policy).WithMetadata(new RequiredScope(scope));

    private static void ConfigureJwt(JwtBearerOptions jwt, QueryAuthOptions.JwtSettings settings)
    {
        jwt.MapInboundClaims = false;
        jwt.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        jwt.Audience = settings.Audience;
        if (!string.IsNullOrWhiteSpace(settings.Authority)) jwt.Authority = settings.Authority;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            ValidAudience = settings.Audience,
            // With an authority, issuer and keys come from its discovery document.
            ValidIssuer = string.IsNullOrWhiteSpace(settings.Authority) ? settings.Issuer : null,
            IssuerSigningKey = string.IsNullOrEmpty(settings.SigningKey) ? null : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.SigningKey)),
        };
        if (!string.IsNullOrEmpty(settings.SigningKey))
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512];
        var defaultScopes = ScopeList.Parse(settings.DefaultScopes);
        jwt.Events = new JwtBearerEvents
        {
            OnChallenge = context => SwitchableAuth.ChallengeAsync(context, "Authorization"),
            OnTokenValidated = context =>
            {
                context.Principal = WithScopes(context.Principal!, settings, defaultScopes);
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// The token's caller with Receiver's scope claims, read from <c>ScopeClaim</c> (scopes Receiver does not know are
    /// ignored, as a provider may issue scopes for other APIs in one token).
    /// </summary>
    private static ClaimsPrincipal WithScopes(ClaimsPrincipal token, QueryAuthOptions.JwtSettings settings, IReadOnlyList<string> defaultScopes)
    {
        var scopeClaims = token.FindAll(settings.ScopeClaim).ToList();
        var scopes = scopeClaims.Count == 0
            ? defaultScopes
            : scopeClaims.SelectMany(claim => ScopeList.Parse(claim.Value)).Where(Scopes.IsKnown).ToList();
        var caller = token.FindFirst(settings.CallerClaim)?.Value ?? "unknown";
        var own = token.Claims.Where(claim => claim.Type is not (Scopes.ClaimType or Scopes.CallerClaimType));
        return new ClaimsPrincipal(new ClaimsIdentity(own.Concat(Scopes.Claims(caller, scopes)), "jwt"));
    }
}

internal sealed partial class QueryAuthStartupWarning(IOptions<QueryAuthOptions> options, ILogger<QueryAuthStartupWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var query = options.Value;
        if (query.ParsedType == AuthType.None) LogNoAuth(logger);
        else if (query.ParsedType == AuthType.ApiKey && query.ApiKey.Keys.Count == 0 && query.ApiKey.Clients.Count == 0) LogNoKeys(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "QueryApi:Auth:Type is none: anyone who can reach Receiver can read every transaction. Use api_key or jwt outside a closed network.")]
    private static partial void LogNoAuth(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "QueryApi:Auth:ApiKey:Keys and Clients are empty: every query is refused until a key is configured (allowed in Development only).")]
    private static partial void LogNoKeys(ILogger logger);
}

/// <summary>The scope an endpoint of the query API requires; the last one on an endpoint (its own, over its group's) counts.</summary>
public sealed record RequiredScope(string Scope)
{
    /// <summary>The scope the endpoint of this request (an <see cref="HttpContext"/>, as authorization sees it) requires.</summary>
    public static string? Of(object? request) =>
        (request as HttpContext)?.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope;
}

/// <summary>The caller holds the scope its endpoint requires (<see cref="RequiredScope"/>).</summary>
internal sealed class EndpointScopeRequirement : IAuthorizationRequirement;

internal sealed class EndpointScopeHandler : AuthorizationHandler<EndpointScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, EndpointScopeRequirement requirement)
    {
        // An endpoint behind the query policy without a scope of its own is refused: a forgotten scope fails closed.
        if (RequiredScope.Of(context.Resource) is { } scope && context.User.HasScope(scope)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>A caller without the endpoint's scope gets a 403 that names the scope, as problem details.</summary>
internal sealed class InsufficientScopeResultHandler(IOptions<QueryAuthOptions> options) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<EndpointScopeRequirement>().Any() != true)
            return _default.HandleAsync(next, context, policy, authorizeResult);
        var scope = RequiredScope.Of(context) ?? "(none declared)";
        if (options.Value.ParsedType == AuthType.Jwt)
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
        return AuthProblem.InsufficientScope(scope).ExecuteAsync(context);
    }
}
