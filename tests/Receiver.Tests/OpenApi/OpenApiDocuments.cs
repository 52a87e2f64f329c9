using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Receiver.OpenApi;

namespace Receiver.Tests.OpenApi;

/// <summary>The two documents under test: openapi/receiver.yaml as committed, and what the app serves.</summary>
public static class OpenApiDocuments
{
    public const string ContractFile = "openapi/receiver.yaml";
    public const string ServedUrl = "/swagger/v1/swagger.json";

    private static readonly Lazy<string> RepositoryRoot = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Receiver.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException($"No Receiver.sln above {AppContext.BaseDirectory}.");
    });

    /// <summary>Read afresh on every call, so a test may change its copy.</summary>
    public static OpenApiDocument ReadContract()
    {
        using var file = File.OpenRead(Path.Combine(RepositoryRoot.Value, ContractFile));
        return ReceiverContract.Read(file, "yaml", ContractFile);
    }

    public static async Task<OpenApiDocument> ReadServedAsync(HttpClient client)
    {
        await using var body = await client.GetStreamAsync(ServedUrl);
        return ReceiverContract.Read(body, "json", ServedUrl);
    }

    public static OpenApiOperation PostEvent(this OpenApiDocument document) =>
        document.Paths["/event"].Operations![HttpMethod.Post];

    /// <summary>The request body examples of <c>POST /event</c>, by name.</summary>
    public static IReadOnlyDictionary<string, JsonNode> EventExamples(this OpenApiDocument document) =>
        document.PostEvent().RequestBody!.Content!["application/json"].Examples!
            .ToDictionary(example => example.Key, example => example.Value.Value!);
}
