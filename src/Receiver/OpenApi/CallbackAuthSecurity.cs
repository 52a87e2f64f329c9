using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Receiver.Auth;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>
/// The two ways AP can authenticate its calls (<see cref="CallbackAuth"/>), as OpenAPI security schemes. Only the
/// one <c>CallbackApi:Auth:Type</c> picks is in force, so an endpoint lists them as alternatives.
/// </summary>
internal static class CallbackAuthSecurity
{
    public const string JwtScheme = "callbackJwt";
    public const string ApiKeyScheme = "callbackApiKey";

    public static void AddCallbackAuthSchemes(this SwaggerGenOptions swagger, CallbackAuthOptions auth)
    {
        swagger.AddSecurityDefinition(JwtScheme, Jwt(auth.Jwt.HttpHeader));
        swagger.AddSecurityDefinition(ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = auth.ApiKey.HttpHeader,
        });
    }

    /// <summary>
    /// HTTP bearer only names the Authorization header; in any other header AP still sends "Bearer &lt;jwt&gt;",
    /// which OpenAPI can only describe as an API key in that header.
    /// </summary>
    private static OpenApiSecurityScheme Jwt(string header) =>
        header.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
            ? new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT" }
            : new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = header };
}

/// <summary>Puts both schemes, as alternatives, on every endpoint that requires <see cref="CallbackAuth.Policy"/>.</summary>
internal sealed class CallbackAuthRequirementFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var requiresCallbackAuth = context.ApiDescription.ActionDescriptor.EndpointMetadata
            .OfType<IAuthorizeData>().Any(authorize => authorize.Policy == CallbackAuth.Policy);
        if (!requiresCallbackAuth) return;

        operation.Security =
        [
            Requirement(CallbackAuthSecurity.JwtScheme, context.Document),
            Requirement(CallbackAuthSecurity.ApiKeyScheme, context.Document),
        ];
    }

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };
}
