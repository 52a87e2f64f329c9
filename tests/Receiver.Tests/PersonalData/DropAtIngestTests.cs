using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;
using Receiver.Tests.Wallet;

namespace Receiver.Tests.PersonalData;

/// <summary>
/// <c>PersonalData:DropAtIngest</c> through HTTP against real PostgreSQL: a dropped value is never stored, events and
/// callbacks alike, and a redelivery is still told from a conflicting duplicate.
/// </summary>
public sealed class DropAtIngestTests : IAsyncLifetime
{
    private const string CallbackHost = "wallet.test";
    private static readonly string Token = $"drop{Guid.NewGuid():N}";

    private readonly AnchorSigner _anchor = new();
    private ReceiverApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = ReceiverApp.With(new Dictionary<string, string?>
        {
            ["PersonalData:DropAtIngest:0"] = "transaction.memo",
            ["PersonalData:DropAtIngest:1"] = "transaction.fields",
            ["PersonalData:DropAtIngest:2"] = "transaction.customers",
            ["PersonalData:DropAtIngest:3"] = "transaction.deposit_memo",
            ["PersonalData:DropAtIngest:4"] = "transaction.destination_account",
            ["Wallet:Anchors:0:Name"] = "alpha",
            ["Wallet:Anchors:0:SigningKey"] = _anchor.AccountId,
            ["Wallet:Anchors:0:CallbackHost"] = CallbackHost,
        });
        await _app.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _anchor.Dispose();
    }

    private static JsonObject EventWithPersonalData()
    {
        var transaction = ApEvents.Sep31Created();
        transaction["memo"] = $"{Token}-memo";
        transaction["memo_type"] = "text";
        transaction["destination_account"] = ApEvents.DistributionAccount;
        transaction["fields"] = new JsonObject { ["receiver_first_name"] = $"Jane {Token}" };
        transaction["customers"] = new JsonObject { ["sender"] = new JsonObject { ["id"] = $"{Token}-sender", ["account"] = ApEvents.DistributionAccount } };
        return ApEvents.TransactionEvent("transaction_created", transaction);
    }

    private async Task<string> StoredAsync(string table, string column, string where, string id) =>
        Encoding.UTF8.GetString((await _app.ScalarAsync<byte[]>($"SELECT convert_to({column}::text, 'UTF8') FROM {table} WHERE {where} = $1", id))!);

    [Fact]
    public async Task A_dropped_value_is_stored_nowhere_and_the_marker_says_it_was_dropped()
    {
        var body = EventWithPersonalData();
        var id = (string)body["id"]!;
        var transactionId = (string)body["payload"]!["transaction"]!["id"]!;

        Assert.Equal(HttpStatusCode.OK, (await _app.CreateApClient().PostEventAsync(body)).StatusCode);

        var stored = await StoredAsync("events", "convert_from(body, 'UTF8')", "id", id);
        Assert.DoesNotContain(Token, stored);
        var transaction = JsonNode.Parse(stored)!["payload"]!["transaction"]!;
        Assert.Equal(("[withheld]", "[withheld]", "[withheld]"), ((string?)transaction["memo"], (string?)transaction["fields"], (string?)transaction["customers"]));
        Assert.Equal("text", (string?)transaction["memo_type"]);
        Assert.DoesNotContain(Token, await StoredAsync("transactions", "snapshot", "id", transactionId));
        Assert.DoesNotContain(Token, await StoredAsync("transactions", "customer_ids", "id", transactionId));
        Assert.DoesNotContain(Token, await StoredAsync("events", "customer_ids", "id", id));
        // The creator's account is kept and indexed; the dropped customers' and destination account are not, nor is the marker.
        Assert.Equal([ApEvents.UserAccount], (await _app.ScalarAsync<string[]>("SELECT accounts FROM transactions WHERE id = $1", transactionId))!);
        // Even the callers that may read personal data are shown the marker: there is nothing else left.
        var served = await _app.CreateQueryClient().GetJsonAsync($"/transactions/{transactionId}");
        Assert.Equal("[withheld]", (string?)served["memo"]);
        Assert.Equal("[withheld]", (string?)(await _app.CreateQueryClient().GetJsonAsync($"/event/{id}"))["payload"]!["transaction"]!["fields"]);
    }

    [Fact]
    public async Task A_redelivery_is_answered_as_one_and_another_event_under_the_same_id_is_still_a_conflicting_duplicate()
    {
        var ap = _app.CreateApClient();
        var body = EventWithPersonalData();
        var id = (string)body["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(body)).StatusCode);

        var redelivery = body.DeepClone().AsObject();
        redelivery["timestamp"] = ApEvents.Timestamp(DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(redelivery)).StatusCode);
        // Only the dropped value differs: nothing stored can tell it from the first, so it is the same event.
        var droppedOnly = body.DeepClone().AsObject().Set("payload/transaction/memo", $"\"{Token}-other\"");
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(droppedOnly)).StatusCode);
        Assert.Equal(0, await _app.CountAsync("rejected_events", "event_id = $1", id));

        var conflicting = body.DeepClone().AsObject().Set("payload/transaction/message", "\"another message\"");
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(conflicting)).StatusCode);

        Assert.Equal(1, await _app.CountAsync("events", "id = $1", id));
        Assert.Equal(1, await _app.CountAsync("rejected_events", "event_id = $1 AND reason = 'conflicting_duplicate'", id));
        var kept = await StoredAsync("rejected_events", "convert_from(body, 'UTF8')", "event_id", id);
        Assert.Contains("another message", kept);
        Assert.DoesNotContain(Token, kept);
        Assert.DoesNotContain("another message", await StoredAsync("events", "convert_from(body, 'UTF8')", "id", id));
    }

    [Fact]
    public async Task An_invalid_event_is_kept_as_rejected_without_its_dropped_values()
    {
        var body = EventWithPersonalData().Set("payload/transaction/status", "\"not_a_status\"");

        Assert.Equal(HttpStatusCode.BadRequest, (await _app.CreateApClient().PostEventAsync(body)).StatusCode);

        var kept = await StoredAsync("rejected_events", "convert_from(body, 'UTF8')", "event_id", (string)body["id"]!);
        Assert.DoesNotContain(Token, kept);
        Assert.Contains("not_a_status", kept);
    }

    [Fact]
    public async Task A_callback_is_verified_as_signed_stored_without_its_dropped_values_and_its_attempts_stored_once()
    {
        var transactionId = ApEvents.NewId();
        var text = $$$"""{"transaction":{"id":"{{{transactionId}}}","kind":"deposit","status":"pending_user_transfer_start","deposit_memo":"{{{Token}}}-24","deposit_memo_type":"text","started_at":"2024-06-25T20:33:17Z"}}""";

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var response = await _anchor.PostSignedAsync(_app.CreateClient(), "/callbacks/alpha/sep24", CallbackHost, text);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, await _app.CountAsync("events", "transaction_id = $1", transactionId));
        var stored = await StoredAsync("events", "convert_from(body, 'UTF8')", "transaction_id", transactionId);
        Assert.DoesNotContain(Token, stored);
        Assert.Equal("[withheld]", (string?)JsonNode.Parse(stored)!["transaction"]!["deposit_memo"]);
        Assert.DoesNotContain(Token, await StoredAsync("transactions", "snapshot", "id", transactionId));
    }

    [Fact]
    public async Task Dropping_what_keys_an_event_or_a_path_that_does_not_parse_stops_the_app()
    {
        var output = await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            // Options are checked before the database is touched.
            ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["PersonalData__DropAtIngest__0"] = "transaction.id",
            ["PersonalData__Paths__0"] = "memo",
        }, "PersonalData:DropAtIngest names 'transaction.id', which keys or orders what is stored");

        Assert.Contains($"Configuration error: PersonalData:Paths:{Receiver.PersonalData.PersonalDataOptions.DefaultPaths.Count} is 'memo': a path starts with the subject object", output);
    }
}
