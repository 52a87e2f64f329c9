using System.Text;
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
        services.AddSwitchableAuth<QueryAuthOptions>(Policy, "Query API", query => query.ParsedType,
            (jwt, query) => ConfigureJwt(jwt, query.Jwt),
            (apiKey, query) =>
            {
                apiKey.HttpHeaders = [query.ApiKey.HttpHeader];
                apiKey.Keys = new KeySet(query.ApiKey.Keys);
                apiKey.WrongKeyDetail = "The API key is not one of QueryApi:Auth:ApiKey:Keys.";
            });
        return services;
    }

    public static TBuilder RequireQueryAuth<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(Policy);

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
        jwt.Events = new JwtBearerEvents { OnChallenge = context => SwitchableAuth.ChallengeAsync(context, "Authorization") };
    }
}

internal sealed partial class QueryAuthStartupWarning(IOptions<QueryAuthOptions> options, ILogger<QueryAuthStartupWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var query = options.Value;
        if (query.ParsedType == AuthType.None) LogNoAuth(logger);
        else if (query.ParsedType == AuthType.ApiKey && query.ApiKey.Keys.Count == 0) LogNoKeys(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "QueryApi:Auth:Type is none: anyone who can reach Receiver can read every transaction. Use api_key or jwt outside a closed network.")]
    private static partial void LogNoAuth(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "QueryApi:Auth:ApiKey:Keys is empty: every query is refused until a key is configured (allowed in Development only).")]
    private static partial void LogNoKeys(ILogger logger);
}
