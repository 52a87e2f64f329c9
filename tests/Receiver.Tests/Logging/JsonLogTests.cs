using System.Net;
using System.Text.Json;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Logging;

/// <summary>One structured line per event at Information: event id, type, subject and outcome, as JSON when asked.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task Each_event_is_one_JSON_log_line_with_its_id_type_subject_and_outcome()
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        var port = ReceiverProcess.FreePort();
        try
        {
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = database,
                ["CALLBACK_API_AUTH_TYPE"] = "none",
                ["QueryApi__Auth__Type"] = "none",
                ["Logging__Console__FormatterName"] = "json",
                ["Logging__LogLevel__Default"] = "Information",
            }, arguments: ["--urls", $"http://127.0.0.1:{port}"]);
            await app.WaitUntilListeningAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
            Assert.Equal(HttpStatusCode.OK, (await http.PostEventAsync(body)).StatusCode);

            JsonElement? line = null;
            for (var waited = 0; line is null && waited < 5000; waited += 100)
            {
                line = app.Output.Split('\n')
                    .Where(l => l.StartsWith('{'))
                    .Select(l => JsonDocument.Parse(l).RootElement)
                    .FirstOrDefault(l => l.TryGetProperty("State", out var state)
                                         && state.TryGetProperty("EventId", out var id) && id.GetString() == (string)body["id"]!);
                if (line is null) await Task.Delay(100);
            }

            Assert.NotNull(line);
            var state = line.Value.GetProperty("State");
            Assert.Equal("Information", line.Value.GetProperty("LogLevel").GetString());
            Assert.Equal("transaction_created", state.GetProperty("EventType").GetString());
            Assert.Equal((string)body["payload"]!["transaction"]!["id"]!, state.GetProperty("SubjectId").GetString());
            Assert.Equal("Stored", state.GetProperty("Outcome").GetString());
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }
}
