using System.Text;
using Microsoft.OpenApi;

namespace Receiver.Tests.OpenApi;

/// <summary>
/// What the contract and the code must agree on, one line per fact: operations, their parameters, request and
/// response content types, security, security schemes and schema names. Two documents agree when their facts do.
/// </summary>
public static class ContractFacts
{
    public static SortedSet<string> Of(OpenApiDocument document)
    {
        var facts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                var name = $"{method.Method} {path}";
                facts.Add(name);
                foreach (var parameter in (item.Parameters ?? []).Concat(operation.Parameters ?? []))
                    facts.Add($"{name} parameter: {parameter.In} {parameter.Name}{(parameter.Required ? " (required)" : "")}");
                foreach (var contentType in operation.RequestBody?.Content?.Keys ?? [])
                    facts.Add($"{name} request body: {contentType}");
                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (response.Content is not { Count: > 0 } content) facts.Add($"{name} response {status}: no body");
                    else foreach (var contentType in content.Keys) facts.Add($"{name} response {status}: {contentType}");
                }
                facts.Add($"{name} security: {Describe(operation.Security)}");
            }
        }

        facts.Add($"document security: {Describe(document.Security)}");
        foreach (var (name, scheme) in document.Components?.SecuritySchemes ?? new Dictionary<string, IOpenApiSecurityScheme>())
            facts.Add($"security scheme {name}: {Describe(scheme)}");
        foreach (var name in document.Components?.Schemas?.Keys ?? [])
            facts.Add($"schema {name}");
        return facts;
    }

    /// <summary>Null when both documents state the same facts, else a diff that names each side.</summary>
    public static string? Differences(OpenApiDocument contract, OpenApiDocument served)
    {
        var expected = Of(contract);
        var actual = Of(served);
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        if (missing.Count == 0 && extra.Count == 0) return null;

        var diff = new StringBuilder($"The document the app serves ({OpenApiDocuments.ServedUrl}) no longer matches {OpenApiDocuments.ContractFile}.");
        diff.AppendLine();
        if (missing.Count > 0)
        {
            diff.AppendLine($"Only in {OpenApiDocuments.ContractFile} (the code no longer declares it, or the contract is ahead of the code):");
            foreach (var fact in missing) diff.AppendLine($"  - {fact}");
        }
        if (extra.Count > 0)
        {
            diff.AppendLine($"Only in the served document (describe it in {OpenApiDocuments.ContractFile}, or take it out of the code):");
            foreach (var fact in extra) diff.AppendLine($"  + {fact}");
        }
        return diff.ToString();
    }

    /// <summary>Alternatives joined by "or", the schemes one alternative needs together by "and".</summary>
    private static string Describe(IList<OpenApiSecurityRequirement>? requirements)
    {
        if (requirements is not { Count: > 0 }) return "none";
        return string.Join(" or ", requirements
            .Select(requirement => string.Join(" and ", requirement
                .Select(scheme => scheme.Key.Reference.Id + (scheme.Value.Count > 0 ? $"[{string.Join(",", scheme.Value)}]" : ""))
                .Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal));
    }

    private static string Describe(IOpenApiSecurityScheme scheme)
    {
        (string Name, string? Value)[] fields =
        [
            ("type", scheme.Type?.ToString()), ("scheme", scheme.Scheme), ("bearerFormat", scheme.BearerFormat),
            ("in", scheme.In?.ToString()), ("name", scheme.Name),
        ];
        return string.Join(" ", fields.Where(field => field.Value is not null).Select(field => $"{field.Name}={field.Value}"));
    }
}
