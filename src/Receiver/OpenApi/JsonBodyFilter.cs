using Microsoft.OpenApi;
using Receiver.Http;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>Documents the request body of endpoints marked with <see cref="ReadsJsonBody"/>.</summary>
internal sealed class JsonBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ReadsJsonBody>().Any()) return;
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType() },
        };
    }
}
