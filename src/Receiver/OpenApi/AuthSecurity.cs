using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Receiver.Auth;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>
/// The credentials of the two APIs as OpenAPI security schemes: AP's callback auth (<see cref="CallbackAuth"/>) for
/// <c>/event</c>, the query credentials (<see cref="QueryAuth"/>) for the rest. Only the scheme each API's
/// <c>Auth:Type</c> picks is in force, so an operation lists its API's schemes as alternatives.
/// </summary>
internal static class AuthSecurity
{
    public const string CallbackJwt = "callbackJwt";
    public const string CallbackApiKey = "callbackApiKey";
    public const string QueryApiKey = "queryApiKey";
    public const string QueryJwt = "queryJwt";

    /// <summary>The schemes an endpoint's authorization policy stands for.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> SchemesOfPolicy = new Dictionary<string, string[]>
    {
        [CallbackAuth.Policy] = [CallbackJwt, CallbackApiKey],
        [QueryAuth.Policy] = [QueryApiKey, QueryJwt],
    };

    public static void AddAuthSchemes(this SwaggerGenOptions swagger, CallbackAuthOptions callback, QueryAuthOptions query)
    {
        swagger.AddSecurityDefinition(CallbackJwt, BearerIn(callback.Jwt.HttpHeader));
        swagger.AddSecurityDefinition(CallbackApiKey, ApiKeyIn(callback.ApiKey.HttpHeader));
        swagger.AddSecurityDefinition(QueryApiKey, ApiKeyIn(query.ApiKey.HttpHeader));
        swagger.AddSecurityDefinition(QueryJwt, BearerIn("Authorization"));
    }

    private static OpenApiSecurityScheme ApiKeyIn(string header) =>
        new() { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = header };

    /// <summary>
    /// HTTP bearer only names the Authorization header; in any other header AP still sends "Bearer &lt;jwt&gt;",
    /// which OpenAPI can only describe as an API key in that header.
    /// </summary>
    private static OpenApiSecurityScheme BearerIn(string header) =>
        header.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
            ? new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT" }
            : ApiKeyIn(header);
}

/// <summary>Puts the schemes of an endpoint's authorization policy, as alternatives, on its operation.</summary>
internal sealed class AuthRequirementFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var schemes = context.ApiDescription.ActionDescriptor.EndpointMetadata
            .OfType<IAuthorizeData>()
            .Select(authorize => authorize.Policy is { } policy ? AuthSecurity.SchemesOfPolicy.GetValueOrDefault(policy) : null)
            .FirstOrDefault(found => found is not null);
        if (schemes is null) return;

        operation.Security = [.. schemes.Select(scheme => new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [],
        })];
    }
}
