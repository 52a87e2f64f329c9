using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Receiver.Auth;

/// <summary>
/// Authentication of the query API: API keys (several, for rotation) or bearer JWTs from an OIDC authority or signed
/// with a shared key. Schemes of their own, so AP's callback credential never opens a query and a query key never
/// opens <c>/event</c>, even when both use the same header.
/// </summary>
public static class QueryAuth
{
    public const string Policy = "QueryApi";
    private const string Scheme = "QueryApi";
    private const string JwtScheme = "QueryApi.Jwt";
    private const string ApiKeyScheme = "QueryApi.ApiKey";

    public static IServiceCollection AddQueryAuth(this IServiceCollection services)
    {
        services.AddOptions<QueryAuthOptions>().BindConfiguration(QueryAuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueryAuthOptions>, QueryAuthOptionsValidator>();
        services.AddHostedService<QueryAuthStartupWarning>();

        services.AddAuthentication()
            .AddPolicyScheme(Scheme, "Query API", o => o.ForwardDefaultSelector = context =>
                context.RequestServices.GetRequiredService<IOptions<QueryAuthOptions>>().Value.ParsedType switch
                {
                    QueryAuthType.Jwt => JwtScheme,
                    QueryAuthType.ApiKey => ApiKeyScheme,
                    _ => NoAuthenticationHandler.SchemeName,
                })
            .AddJwtBearer(JwtScheme)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null)
            .TryAddNoAuthentication();
        services.AddOptions<JwtBearerOptions>(JwtScheme)
            .Configure<IOptions<QueryAuthOptions>>((jwt, query) => ConfigureJwt(jwt, query.Value.Jwt));
        services.AddOptions<ApiKeyAuthenticationOptions>(ApiKeyScheme)
            .Configure<IOptions<QueryAuthOptions>>((apiKey, query) =>
            {
                apiKey.HttpHeader = query.Value.ApiKey.HttpHeader;
                apiKey.Keys = new KeySet(query.Value.ApiKey.Keys);
                apiKey.WrongKeyDetail = "The API key is not one of QueryApi:Auth:ApiKey:Keys.";
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
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
        jwt.Events = new JwtBearerEvents
        {
            OnChallenge = context =>
            {
                context.HandleResponse();
                var detail = context.AuthenticateFailure is { } failure
                    ? CallbackAuth.Describe(failure)
                    : "Missing token: send 'Bearer <JWT>' in the Authorization header.";
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return AuthProblem.WriteAsync(context.HttpContext, "invalid_token", detail);
            },
        };
    }
}

internal sealed partial class QueryAuthStartupWarning(IOptions<QueryAuthOptions> options, ILogger<QueryAuthStartupWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var query = options.Value;
        if (query.ParsedType == QueryAuthType.None) LogNoAuth(logger);
        else if (query.ParsedType == QueryAuthType.ApiKey && query.ApiKey.Keys.Count == 0) LogNoKeys(logger);
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
