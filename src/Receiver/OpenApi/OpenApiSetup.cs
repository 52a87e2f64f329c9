using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Receiver.Auth;
using Receiver.Configuration;
using Receiver.Http;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>
/// The OpenAPI document at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>: paths, responses and
/// security from the endpoints, words, schemas and examples from openapi/receiver.yaml.
/// </summary>
public static class OpenApiSetup
{
    /// <summary>ASP.NET Core's problem types, under the names the contract gives them.</summary>
    private static readonly Dictionary<Type, string> ContractSchemaNames = new()
    {
        [typeof(ProblemDetails)] = "Problem",
        [typeof(HttpValidationProblemDetails)] = "ValidationProblem",
    };

    public static IServiceCollection AddReceiverOpenApi(this IServiceCollection services)
    {
        services.AddValidatedOptions<OpenApiOptions>(OpenApiOptions.Section);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            var inferredSchemaId = swagger.SchemaGeneratorOptions.SchemaIdSelector;
            swagger.CustomSchemaIds(type => ContractSchemaNames.GetValueOrDefault(type) ?? inferredSchemaId(type));
            swagger.OperationFilter<AuthRequirementFilter>();
            // Stored JSON passed through as it is: the contract says which schema each operation answers with.
            swagger.MapType<RawJson>(() => new OpenApiSchema { Type = JsonSchemaType.Object });
            swagger.OperationFilter<JsonBodyFilter>();
            swagger.DocumentFilter<ContractDocumentFilter>();
        });
        // Header names are settings; the document shows the ones this instance reads.
        services.AddOptions<SwaggerGenOptions>()
            .Configure<IOptions<CallbackAuthOptions>, IOptions<QueryAuthOptions>>(
                (swagger, callback, query) => swagger.AddAuthSchemes(callback.Value, query.Value));
        return services;
    }

    public static WebApplication UseReceiverOpenApi(this WebApplication app)
    {
        // Read at the first request, not here: by then the start-up validation has reported a bad value in one line.
        var options = app.Services.GetRequiredService<IOptions<OpenApiOptions>>();
        // Only requests under /swagger reach Swashbuckle: its middlewares match every path they see with regexes.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger") && options.Value.Enabled, swagger =>
        {
            // 3.1, as the contract is written: a $ref keeps its own description there.
            swagger.UseSwagger(document => document.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1);
            // /swagger answers with a redirect to /swagger/index.html; the UI's routes never overlap /event.
            swagger.UseSwaggerUI(ui => ui.DocumentTitle = "Receiver");
        });
        return app;
    }
}
