using Microsoft.OpenApi;
using Receiver.AnchorPlatform;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.OpenApi;

/// <summary>openapi/receiver.yaml and the code say the same about what Receiver accepts and answers.</summary>
public sealed class ContractTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Served_document_matches_the_contract()
    {
        var served = await OpenApiDocuments.ReadServedAsync(app.CreateClient());

        if (ContractFacts.Differences(OpenApiDocuments.ReadContract(), served) is { } differences)
            Assert.Fail(differences);
    }

    [Fact]
    public void Differences_name_what_only_one_side_has()
    {
        var contract = OpenApiDocuments.ReadContract();
        var changed = OpenApiDocuments.ReadContract();
        changed.Paths["/dummy"] = new OpenApiPathItem
        {
            Operations = new() { [HttpMethod.Get] = new OpenApiOperation { Responses = new() { ["200"] = new OpenApiResponse() } } },
        };
        changed.PostEvent().Responses!.Remove("503");
        changed.PostEvent().Security!.RemoveAt(1);
        changed.Components!.Schemas!.Remove("Quote");

        var differences = ContractFacts.Differences(contract, changed);

        Assert.NotNull(differences);
        Assert.Contains("+ GET /dummy\n", differences.ReplaceLineEndings("\n"));
        Assert.Contains("+ GET /dummy response 200: no body", differences);
        Assert.Contains("- POST /event response 503: application/problem+json", differences);
        Assert.Contains("- POST /event security: callbackApiKey or callbackJwt", differences);
        Assert.Contains("+ POST /event security: callbackJwt", differences);
        Assert.Contains("- schema Quote", differences);
        Assert.Null(ContractFacts.Differences(contract, OpenApiDocuments.ReadContract()));
    }

    /// <summary>The schema's enums are the validator's vocabulary, so the contract cannot promise more or less.</summary>
    [Fact]
    public void Enums_are_the_validators_vocabulary()
    {
        var schemas = OpenApiDocuments.ReadContract().Components!.Schemas!;
        var transaction = schemas["Transaction"].Properties!;

        Assert.Equal(EventTypes.All.Order(), Enum(schemas["Event"].Properties!["type"]));
        Assert.Equal(Seps.All.Order(), Enum(transaction["sep"]));
        Assert.Equal(TransactionStatuses.All.Order(), Enum(transaction["status"]));
        foreach (var sep in Seps.All)
        {
            var sepSchema = schemas[$"TransactionSep{sep}"].AllOf!.OfType<OpenApiSchema>().Single().Properties!;
            Assert.Equal([sep], Enum(sepSchema["sep"]));
            Assert.Equal(Seps.KindsOf(sep).Order(), Enum(sepSchema["kind"]));
        }
    }

    private static IEnumerable<string> Enum(IOpenApiSchema schema) =>
        schema.Enum!.Select(value => value.GetValue<string>()).Order(StringComparer.Ordinal);
}
