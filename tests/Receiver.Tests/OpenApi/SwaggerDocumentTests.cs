using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.OpenApi;

/// <summary>The served document as Swagger UI shows it to a newcomer: the contract's order, a short header, real examples.</summary>
public sealed class SwaggerDocumentTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Tags_are_served_in_the_order_of_the_contract()
    {
        var served = await ServedJsonAsync();

        var contractOrder = OpenApiDocuments.ReadContract().Tags!.Select(tag => tag.Name).ToList();
        Assert.Equal(contractOrder, served["tags"]!.AsArray().Select(tag => (string?)tag!["name"]));
        Assert.All(served["tags"]!.AsArray(), tag => Assert.False(string.IsNullOrWhiteSpace((string?)tag!["description"])));
    }

    [Fact]
    public async Task The_description_above_the_operations_is_a_few_lines()
    {
        var description = (string)(await ServedJsonAsync())["info"]!["description"]!;

        Assert.True(description.Trim().Split('\n').Length <= 6, $"info.description has {description.Split('\n').Length} lines:\n{description}");
    }

    [Fact]
    public async Task Every_problem_answer_of_post_event_has_an_example_with_its_own_status()
    {
        var responses = (await ServedJsonAsync())["paths"]!["/event"]!["post"]!["responses"]!.AsObject();

        foreach (var (status, response) in responses)
        {
            if (response!["content"]?["application/problem+json"] is not { } problem) continue;
            var examples = problem["example"] is { } example
                ? [example]
                : problem["examples"]?.AsObject().Select(named => named.Value!["value"]!).ToList() ?? [];
            Assert.True(examples.Count > 0, $"POST /event {status} has no example");
            Assert.All(examples, e => Assert.Equal(int.Parse(status), (int)e["status"]!));
        }
    }

    [Fact]
    public void Integer_path_ids_start_at_1()
    {
        var parameters = OpenApiDocuments.ReadContract().Paths
            .SelectMany(path => path.Value.Operations!.Values.SelectMany(operation => operation.Parameters ?? []))
            .Where(parameter => parameter.In == ParameterLocation.Path && parameter.Schema!.Type == JsonSchemaType.Integer)
            .ToList();

        Assert.NotEmpty(parameters);
        Assert.All(parameters, parameter => Assert.Equal("1", parameter.Schema!.Minimum));
    }

    private async Task<JsonNode> ServedJsonAsync() =>
        JsonNode.Parse(await app.CreateClient().GetStringAsync(OpenApiDocuments.ServedUrl))!;
}
