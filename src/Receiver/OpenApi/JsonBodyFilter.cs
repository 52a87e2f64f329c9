using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>
/// Marks an endpoint that reads its JSON body itself. Unlike <c>Accepts</c>, it leaves content negotiation to the
/// handler, so authentication runs first and a wrong Content-Type gets the handler's own 415 explanation.
/// </summary>
public sealed record ReadsJsonBody;

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
