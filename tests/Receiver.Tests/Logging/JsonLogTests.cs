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
        JsonElement? line = null;
        var body = ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__LogLevel__Default"] = "Information",
        }, async (app, http) =>
        {
            Assert.Equal(HttpStatusCode.OK, (await http.PostEventAsync(body)).StatusCode);
            for (var waited = 0; line is null && waited < 5000; waited += 100)
            {
                line = app.Output.Split('\n')
                    .Where(l => l.StartsWith('{'))
                    .Select(l => JsonDocument.Parse(l).RootElement)
                    .FirstOrDefault(l => l.TryGetProperty("State", out var state)
                                         && state.TryGetProperty("EventId", out var id) && id.GetString() == (string)body["id"]!);
                if (line is null) await Task.Delay(100);
            }
        });

        Assert.NotNull(line);
        var state = line.Value.GetProperty("State");
        Assert.Equal("Information", line.Value.GetProperty("LogLevel").GetString());
        Assert.Equal("transaction_created", state.GetProperty("EventType").GetString());
        Assert.Equal((string)body["payload"]!["transaction"]!["id"]!, state.GetProperty("SubjectId").GetString());
        Assert.Equal("stored", state.GetProperty("Outcome").GetString());
    }
}
