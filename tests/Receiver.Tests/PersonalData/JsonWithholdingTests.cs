using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Receiver.Auth;
using Receiver.Http;
using Receiver.PersonalData;

namespace Receiver.Tests.PersonalData;

/// <summary>The rewriter and its paths, without HTTP: what a caller without <c>read:personal</c> is shown of stored JSON.</summary>
public sealed class JsonWithholdingTests
{
    private const string Marker = "\"[withheld]\"";

    private static PersonalDataFilter Filter(string[] paths, string[]? dropped = null) =>
        new(Options.Create(new PersonalDataOptions { Paths = [.. paths], DropAtIngest = [.. dropped ?? []] }));

    private static PersonalDataView Reader(params string[] paths) => Filter(paths).For(new ClaimsPrincipal(new ClaimsIdentity()));

    private static string Shown(string json, JsonShape shape, params string[] paths) =>
        JsonSerializer.Serialize(Reader(paths).Show(new RawJson(Encoding.UTF8.GetBytes(json)), shape));

    [Theory]
    [InlineData("transaction.memo", """{"id":"1","memo":"123","memo_type":"id"}""", """{"id":"1","memo":"[withheld]","memo_type":"id"}""")]
    [InlineData("transaction.customers.sender.id", """{"customers":{"sender":{"id":"a","account":"G"},"receiver":{"id":"b"}}}""",
        """{"customers":{"sender":{"id":"[withheld]","account":"G"},"receiver":{"id":"b"}}}""")]
    [InlineData("transaction.stellar_transactions[*].memo", """{"stellar_transactions":[{"id":"x","memo":"m1"},{"id":"y"},{"memo":"m3"}]}""",
        """{"stellar_transactions":[{"id":"x","memo":"[withheld]"},{"id":"y"},{"memo":"[withheld]"}]}""")]
    [InlineData("transaction.stellar_transactions[*]", """{"stellar_transactions":[{"id":"x"},7]}""", """{"stellar_transactions":["[withheld]","[withheld]"]}""")]
    [InlineData("transaction.stellar_transactions", """{"stellar_transactions":[{"id":"x"},7]}""", """{"stellar_transactions":"[withheld]"}""")]
    [InlineData("transaction.grid[*][*].cell", """{"grid":[[{"cell":1},{"cell":2}],[],[{"other":3}]]}""",
        """{"grid":[[{"cell":"[withheld]"},{"cell":"[withheld]"}],[],[{"other":3}]]}""")]
    // A path that meets another type than it names passes it by: a member of a string, the items of an object.
    [InlineData("transaction.customers.sender.id", """{"customers":"G..."}""", """{"customers":"G..."}""")]
    [InlineData("transaction.stellar_transactions[*].memo", """{"stellar_transactions":{"memo":"m"}}""", """{"stellar_transactions":{"memo":"m"}}""")]
    public void Each_path_form_withholds_what_it_names_and_nothing_else(string path, string transaction, string shown) =>
        Assert.Equal(shown, Shown(transaction, JsonShape.Transaction, path));

    [Theory]
    [InlineData("""{"fields":{"name":"Jane","iban":"DE89"}}""")]
    [InlineData("""{"fields":["a",{"b":[1,2]}]}""")]
    [InlineData("""{"fields":"Jane Doe"}""")]
    [InlineData("""{"fields":-12.5e3}""")]
    [InlineData("""{"fields":null}""")]
    [InlineData("""{"fields":true}""")]
    [InlineData("""{"fields":"[with\u0068eld]"}""")]
    public void The_marker_replaces_a_value_of_any_type_and_the_key_stays(string transaction) =>
        Assert.Equal("""{"fields":"[withheld]"}""", Shown(transaction, JsonShape.Transaction, "transaction.fields"));

    [Fact]
    public void A_path_absent_from_the_body_adds_nothing_and_every_other_byte_stays_as_stored()
    {
        const string stored = "{ \"id\" : \"1\",\n  \"memo\":\t\"a\\u00e9\" , \"message\": \"caf\u00e9 \\\"x\\\"\", \"n\": 1.50E+2 }";

        Assert.Equal("{ \"id\" : \"1\",\n  \"memo\":\t" + Marker + " , \"message\": \"caf\u00e9 \\\"x\\\"\", \"n\": 1.50E+2 }",
            Shown(stored, JsonShape.Transaction, "transaction.memo", "transaction.fields", "transaction.customers.sender.id"));
        Assert.Equal(stored, Shown(stored, JsonShape.Transaction, "transaction.fields"));
    }

    [Fact]
    public void One_path_applies_wherever_its_subject_stands()
    {
        string[] paths = ["transaction.memo", "quote.creator", "customer.id"];

        Assert.Equal("""{"transaction":{"memo":"[withheld]"},"x":{"memo":"m"}}""", Shown("""{"transaction":{"memo":"m"},"x":{"memo":"m"}}""", JsonShape.Payload, paths));
        Assert.Equal("""{"id":"e","payload":{"transaction":{"memo":"[withheld]"}},"memo":"m"}""",
            Shown("""{"id":"e","payload":{"transaction":{"memo":"m"}},"memo":"m"}""", JsonShape.Event, paths));
        Assert.Equal("""{"memo":"[withheld]"}""", Shown("""{"memo":"m"}""", JsonShape.Transaction, paths));
        Assert.Equal("""{"memo":"m","creator":"[withheld]"}""", Shown("""{"memo":"m","creator":{"account":"G"}}""", JsonShape.Quote, paths));
        Assert.Equal("""{"id":"[withheld]","memo":"m"}""", Shown("""{"id":"c","memo":"m"}""", JsonShape.Customer, paths));
        Assert.Equal("""{"quote":{"creator":"[withheld]"},"customer":{"id":"[withheld]"}}""",
            Shown("""{"quote":{"creator":{"account":"G"}},"customer":{"id":"c"}}""", JsonShape.Payload, paths));
    }

    [Fact]
    public void A_member_name_is_compared_as_JSON_text_so_escapes_and_repeats_hide_nothing()
    {
        Assert.Equal("""{"m\u0065mo":"[withheld]"}""", Shown("""{"m\u0065mo":"123"}""", JsonShape.Transaction, "transaction.memo"));
        Assert.Equal("""{"memo":"[withheld]","memo":"[withheld]"}""", Shown("""{"memo":"1","memo":{"a":2}}""", JsonShape.Transaction, "transaction.memo"));
    }

    [Fact]
    public void A_large_body_is_rewritten_whole()
    {
        var payments = string.Join(",", Enumerable.Range(0, 20_000).Select(i => $$"""{"id":"{{i}}","memo":"memo-{{i}}","note":"{{new string('x', 200)}}"}"""));
        var stored = $$"""{"message":"{{new string('y', 2_000_000)}}","stellar_transactions":[{{payments}}]}""";

        var shown = Shown(stored, JsonShape.Transaction, "transaction.stellar_transactions[*].memo");

        Assert.DoesNotContain("memo-", shown);
        Assert.Equal(20_000, shown.Split(Marker).Length - 1);
        Assert.Equal(stored.Length - payments.Length + payments.Replace("\"memo-", "\"").Length
                     - Enumerable.Range(0, 20_000).Sum(i => i.ToString().Length + 2) + 20_000 * Marker.Length, shown.Length);
    }

    [Theory]
    [InlineData("""{"memo":"123" """)]
    [InlineData("""{"memo":"123"} {"memo":"456"}""")]
    [InlineData("""{"memo":"123",}""")]
    [InlineData("""{"memo":'123'}""")]
    [InlineData("")]
    public void Stored_JSON_that_does_not_read_as_one_value_is_withheld_whole(string stored) =>
        Assert.Equal(Marker, Shown(stored, JsonShape.Transaction, "transaction.memo"));

    [Fact]
    public void Nesting_deeper_than_the_reader_takes_is_withheld_whole_without_a_throw()
    {
        var deep = """{"memo":"123","x":""" + new string('[', 5000) + new string(']', 5000) + "}";

        Assert.Equal(Marker, Shown(deep, JsonShape.Transaction, "transaction.memo"));
    }

    [Fact]
    public void A_subject_no_path_names_is_written_as_stored_without_being_read()
    {
        const string notJson = "{\"creator\": nope";

        Assert.Equal(notJson, Shown(notJson, JsonShape.Quote, "transaction.memo"));
    }

    [Fact]
    public void A_caller_with_read_personal_is_shown_the_stored_bytes_unread()
    {
        var personal = new ClaimsPrincipal(new ClaimsIdentity(Scopes.Claims("ops", [Scopes.ReadPersonal]), "test"));
        var view = Filter(["transaction.memo"]).For(personal);
        var stored = new RawJson(Encoding.UTF8.GetBytes("{\"memo\": nope"));

        Assert.True(view.ShowsPersonalData);
        Assert.Equal(stored, view.Show(stored, JsonShape.Transaction));
        Assert.Equal("{\"memo\": nope", JsonSerializer.Serialize(view.Show(stored, JsonShape.Transaction)));
        var received = Encoding.UTF8.GetBytes("not json");
        Assert.Same(received, view.ShowReceived(received));
    }

    [Fact]
    public void A_received_body_is_shown_with_its_payload_withheld_when_it_is_an_AP_event_and_else_not_at_all()
    {
        var reader = Reader("transaction.memo");
        byte[] Received(string text) => Encoding.UTF8.GetBytes(text);

        Assert.Equal("""{"id":"1","payload":{"transaction":{"memo":"[withheld]","status":42}}}""",
            Encoding.UTF8.GetString(reader.ShowReceived(Received("""{"id":"1","payload":{"transaction":{"memo":"m","status":42}}}"""))!));
        Assert.Null(reader.ShowReceived(Received("""{"transaction":{"memo":"m"}}""")));
        Assert.Null(reader.ShowReceived(Received("""{"payload":{"transaction":{"memo":"m"}},"payload":"memo m"}""")));
        Assert.Null(reader.ShowReceived(Received("""{"payload":{"transaction":{"memo":"m"}}""")));
        Assert.Null(reader.ShowReceived(Received("memo=m")));
        Assert.Null(reader.ShowReceived([(byte)'{', 0xC3, 0x28, (byte)'}']));
        Assert.Null(reader.ShowReceived([.. Received("""{"payload":{"transaction":{"memo":"m"}},"x":" """), 0xFF, (byte)'"', (byte)'}']));
    }

    [Fact]
    public void Dropping_replaces_the_values_in_a_new_body_and_leaves_a_body_with_none_as_it_is()
    {
        var filter = Filter([], ["transaction.memo"]);
        var body = Encoding.UTF8.GetBytes("""{"id":"e","payload":{"transaction":{"id":"t","memo":"m"}}}""");
        var none = Encoding.UTF8.GetBytes("""{"id":"e","payload":{"transaction":{"id":"t"}}}""");
        var notJson = Encoding.UTF8.GetBytes("""{"payload":""");

        var dropped = filter.Drop(body, JsonShape.Event);

        Assert.Equal("""{"id":"e","payload":{"transaction":{"id":"t","memo":"[withheld]"}}}""", Encoding.UTF8.GetString(dropped));
        Assert.Same(dropped, filter.Drop(dropped, JsonShape.Event));
        Assert.Same(none, filter.Drop(none, JsonShape.Event));
        Assert.Same(notJson, filter.Drop(notJson, JsonShape.Event));
        Assert.Same(body, Filter([]).Drop(body, JsonShape.Event));
    }

    [Theory]
    [InlineData("", "not empty")]
    [InlineData("memo", "starts with the subject object")]
    [InlineData("payload.transaction.memo", "starts with the subject object")]
    [InlineData("transaction", "names a member of its subject")]
    [InlineData("transaction..memo", "none is empty")]
    [InlineData("transaction.[*]", "none is empty")]
    [InlineData("transaction.a[*", "not a member name")]
    [InlineData("transaction.a[0]", "not a member name")]
    [InlineData("transaction.*", "not a member name")]
    [InlineData("transaction.my memo", "not a member name")]
    public void A_path_that_does_not_parse_is_refused_with_why(string path, string problem)
    {
        var result = new PersonalDataOptionsValidator().Validate(null, new PersonalDataOptions { Paths = [path] });

        Assert.True(result.Failed);
        Assert.Contains($"PersonalData:Paths:0 is '{path}': ", result.FailureMessage);
        Assert.Contains(problem, result.FailureMessage);
    }

    [Fact]
    public void The_defaults_parse_and_dropping_what_keys_an_event_is_refused()
    {
        Assert.True(new PersonalDataOptionsValidator().Validate(null, new PersonalDataOptions()).Succeeded);
        foreach (var path in PersonalDataOptions.DefaultPaths)
        {
            Assert.True(PersonalDataPath.TryParse(path, out var parsed, out _), path);
            Assert.Equal(path, parsed.ToString());
        }

        var result = new PersonalDataOptionsValidator().Validate(null, new PersonalDataOptions { DropAtIngest = ["transaction.memo", "transaction.id"] });

        Assert.Equal(["PersonalData:DropAtIngest names 'transaction.id', which keys or orders what is stored: withhold it with PersonalData:Paths instead."],
            result.Failures);
    }

    [Fact]
    public void Configured_paths_are_added_to_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PersonalData:Paths:0"] = "transaction.customers",
            ["PersonalData:Paths:1"] = "quote.creator",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddPersonalData().BuildServiceProvider();

        Assert.Equal([.. PersonalDataOptions.DefaultPaths, "transaction.customers", "quote.creator"],
            services.GetRequiredService<IOptions<PersonalDataOptions>>().Value.Paths);
    }
}
