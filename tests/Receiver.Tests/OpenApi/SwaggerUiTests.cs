using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.OpenApi;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.OpenApi;

public sealed class SwaggerUiTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Swagger_ui_is_served_at_swagger()
    {
        var response = await app.CreateClient().GetAsync("/swagger");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_Enabled_false_serves_neither_the_document_nor_the_ui()
    {
        await using var closed = ReceiverApp.Beside(app, new Dictionary<string, string?> { ["OpenApi:Enabled"] = "false" });
        var client = closed.CreateClient();

        foreach (var path in new[] { "/swagger", "/swagger/index.html", "/swagger/v1/swagger.json" })
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public Task OpenApi_Enabled_that_is_not_a_boolean_stops_the_app() =>
        ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CallbackApi__Auth__Type"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["OpenApi__Enabled"] = "no",
        }, "Failed to convert configuration value 'no' at 'OpenApi:Enabled'");

    [Fact]
    public async Task Event_shows_the_contract_schema_and_examples()
    {
        var served = await OpenApiDocuments.ReadServedAsync(app.CreateClient());

        var body = served.PostEvent().RequestBody!.Content!["application/json"];
        Assert.Equal("Event", Assert.IsType<OpenApiSchemaReference>(body.Schema).Reference.Id);
        Assert.Equal(AsJson(OpenApiDocuments.ReadContract().EventExamples()), AsJson(served.EventExamples()));
    }

    [Fact]
    public async Task Event_accepts_either_auth_scheme()
    {
        var served = await OpenApiDocuments.ReadServedAsync(app.CreateClient());

        var alternatives = served.PostEvent().Security!.Select(requirement => requirement.Keys.Single().Reference.Id);
        Assert.Equal(["callbackJwt", "callbackApiKey"], alternatives);

        var schemes = served.Components!.SecuritySchemes!;
        Assert.Equal(SecuritySchemeType.Http, schemes["callbackJwt"].Type);
        Assert.Equal("bearer", schemes["callbackJwt"].Scheme);
        Assert.Equal("JWT", schemes["callbackJwt"].BearerFormat);
        Assert.Equal(SecuritySchemeType.ApiKey, schemes["callbackApiKey"].Type);
        Assert.Equal(ParameterLocation.Header, schemes["callbackApiKey"].In);
        Assert.Equal("X-Api-Key", schemes["callbackApiKey"].Name);
    }

    [Fact]
    public async Task Queries_take_the_query_credentials_and_describe_their_parameters_for_try_it_out()
    {
        var served = await OpenApiDocuments.ReadServedAsync(app.CreateClient());

        var list = served.Paths["/transactions"].Operations![HttpMethod.Get];
        Assert.Equal(["queryApiKey", "queryJwt"], list.Security!.Select(requirement => requirement.Keys.Single().Reference.Id));
        var status = list.Parameters!.Single(p => p.Name == "status");
        Assert.Equal(JsonSchemaType.Array, status.Schema!.Type);
        Assert.True(status.Explode);
        Assert.Contains("repeat the parameter", status.Description);
        Assert.Equal(JsonSchemaType.Integer, list.Parameters!.Single(p => p.Name == "limit").Schema!.Type);

        var schemes = served.Components!.SecuritySchemes!;
        Assert.Equal((SecuritySchemeType.ApiKey, ParameterLocation.Header, "X-Api-Key"),
            (schemes["queryApiKey"].Type, schemes["queryApiKey"].In, schemes["queryApiKey"].Name));
        Assert.Equal((SecuritySchemeType.Http, "bearer"), (schemes["queryJwt"].Type, schemes["queryJwt"].Scheme));
    }

    [Fact]
    public async Task Auth_schemes_name_the_configured_headers()
    {
        using var customHeaders = app.WithWebHostBuilder(host => host.ConfigureAppConfiguration(configuration =>
            configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CallbackApi:Auth:Jwt:HttpHeader"] = "X-Callback-Token",
                ["CallbackApi:Auth:ApiKey:HttpHeader"] = "X-Callback-Key",
                ["QueryApi:Auth:ApiKey:HttpHeader"] = "X-Query-Key",
            })));

        var schemes = (await OpenApiDocuments.ReadServedAsync(customHeaders.CreateClient())).Components!.SecuritySchemes!;

        // AP still sends "Bearer <jwt>" in a custom header, which OpenAPI can only call an API key.
        Assert.Equal((SecuritySchemeType.ApiKey, ParameterLocation.Header, "X-Callback-Token"),
            (schemes["callbackJwt"].Type, schemes["callbackJwt"].In, schemes["callbackJwt"].Name));
        Assert.Equal("X-Callback-Key", schemes["callbackApiKey"].Name);
        Assert.Equal("X-Query-Key", schemes["queryApiKey"].Name);
    }

    private static Dictionary<string, string> AsJson(IReadOnlyDictionary<string, JsonNode> examples) =>
        examples.ToDictionary(example => example.Key, example => example.Value.ToJsonString());
}
