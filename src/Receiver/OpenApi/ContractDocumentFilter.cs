using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Receiver.OpenApi;

/// <summary>
/// Dresses the document generated from the endpoints in the words, schemas and examples of the contract
/// (<see cref="ReceiverContract"/>). Which operations, parameters, responses, content types and security
/// requirements exist stays the code's say: this filter only describes what the code declares, so the
/// contract test still sees every difference between the two.
/// </summary>
internal sealed class ContractDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument served, DocumentFilterContext context)
    {
        var contract = ReceiverContract.Document;
        served.Info = contract.Info;
        served.Tags = DescribeTags(served.Tags, contract.Tags);

        var components = served.Components ??= new OpenApiComponents();
        if (contract.Components is { } contractComponents)
        {
            components.Schemas = Merge(components.Schemas, contractComponents.Schemas);
            components.Examples = Merge(components.Examples, contractComponents.Examples);
            DescribeSecuritySchemes(components.SecuritySchemes, contractComponents.SecuritySchemes);
        }

        foreach (var (path, item) in served.Paths)
        {
            if (item.Operations is null || contract.Paths.GetValueOrDefault(path)?.Operations is not { } contractOperations) continue;
            foreach (var (method, operation) in item.Operations)
            {
                if (contractOperations.GetValueOrDefault(method) is { } contractOperation) Describe(operation, contractOperation);
            }
        }
    }

    /// <summary>The contract's definition wins where both have one: the code's is inferred from C# types.</summary>
    private static Dictionary<string, T> Merge<T>(IDictionary<string, T>? generated, IDictionary<string, T>? contract)
    {
        var merged = new Dictionary<string, T>(generated ?? new Dictionary<string, T>(), StringComparer.Ordinal);
        foreach (var (name, definition) in contract ?? new Dictionary<string, T>()) merged[name] = definition;
        return merged;
    }

    /// <summary>
    /// The tags the code uses, described and in the contract's order (Swagger UI lists them so); the generated set
    /// is alphabetical. A tag the contract lacks comes last, undescribed, for the contract test to report.
    /// </summary>
    private static HashSet<OpenApiTag> DescribeTags(ISet<OpenApiTag>? served, ISet<OpenApiTag>? contract)
    {
        var used = served?.Select(tag => tag.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var described = (contract ?? new HashSet<OpenApiTag>()).Where(tag => used.Contains(tag.Name))
            .Select(tag => new OpenApiTag { Name = tag.Name, Description = tag.Description });
        var undescribed = (served ?? new HashSet<OpenApiTag>()).Where(tag => contract?.Any(known => known.Name == tag.Name) != true);
        return [.. described, .. undescribed];
    }

    private static void DescribeSecuritySchemes(
        IDictionary<string, IOpenApiSecurityScheme>? served, IDictionary<string, IOpenApiSecurityScheme>? contract)
    {
        if (served is null || contract is null) return;
        foreach (var (name, scheme) in served)
        {
            if (scheme is OpenApiSecurityScheme definition && contract.TryGetValue(name, out var described))
                definition.Description = described.Description;
        }
    }

    private static void Describe(OpenApiOperation served, OpenApiOperation contract)
    {
        served.Description = contract.Description;
        DescribeParameters(served.Parameters, contract.Parameters);

        if (served.RequestBody is OpenApiRequestBody body && contract.RequestBody is { } contractBody)
        {
            body.Description = contractBody.Description;
            TakeMediaTypes(body.Content, contractBody.Content);
        }

        if (served.Responses is null || contract.Responses is null) return;
        foreach (var (status, response) in served.Responses)
        {
            if (response is not OpenApiResponse declared || contract.Responses.GetValueOrDefault(status) is not { } described) continue;
            declared.Description = described.Description;
            declared.Headers = described.Headers;
            TakeMediaTypes(declared.Content, described.Content);
        }
    }

    /// <summary>Words, schema and serialization of each parameter the code declares and the contract describes.</summary>
    private static void DescribeParameters(IList<IOpenApiParameter>? served, IList<IOpenApiParameter>? contract)
    {
        if (served is null || contract is null) return;
        foreach (var parameter in served.OfType<OpenApiParameter>())
        {
            if (contract.FirstOrDefault(described => described.Name == parameter.Name && described.In == parameter.In) is not { } described) continue;
            parameter.Description = described.Description;
            parameter.Schema = described.Schema;
            parameter.Style = described.Style;
            parameter.Explode = described.Explode;
            parameter.Example = described.Example;
            parameter.Examples = described.Examples;
        }
    }

    /// <summary>Schema and examples of each content type the code declares and the contract describes.</summary>
    private static void TakeMediaTypes(IDictionary<string, IOpenApiMediaType>? served, IDictionary<string, IOpenApiMediaType>? contract)
    {
        if (served is null || contract is null) return;
        foreach (var contentType in served.Keys.ToList())
        {
            if (contract.TryGetValue(contentType, out var described)) served[contentType] = described;
        }
    }
}
