using System.Net;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Logging;

/// <summary>
/// Values from a request reach the log escaped: a line break in one can neither end Receiver's line early nor start
/// a line that looks like Receiver's own, whichever console formatter writes it.
/// </summary>
public sealed class LogInjectionTests
{
    [Theory]
    [InlineData("simple")]
    [InlineData("json")]
    public async Task Line_breaks_in_a_member_name_or_an_event_id_neither_split_nor_forge_a_log_line(string formatter)
    {
        // AP's SEP-6 instructions are a map whose member names are free text; an invalid value there puts the name
        // into the logged paths.
        var transaction = ApEvents.Sep6WithdrawalOnHold();
        transaction["instructions"]!["bank\r\ninfo: Receiver.Forged[0]\r\n      forged-after-crlf\nforged-after-lf\rforged-after-cr"] = 5;
        var badMemberName = ApEvents.TransactionEvent("transaction_status_changed", transaction);
        // Ids with control characters are refused and not logged, but a Unicode line separator is allowed.
        var separatorInId = ApEvents.CustomerUpdated();
        separatorInId["id"] = "id-with\u2028separator";
        // Each marker must stay inside the one line that logs its event.
        var memberNameEvent = $"Event {badMemberName["id"]}";
        var markers = new Dictionary<string, string>
        {
            ["Receiver.Forged"] = memberNameEvent,
            ["forged-after-crlf"] = memberNameEvent,
            ["forged-after-lf"] = memberNameEvent,
            ["forged-after-cr"] = memberNameEvent,
            ["separator"] = "Event id-with",
        };

        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            ["Logging__Console__FormatterName"] = formatter,
            ["Logging__LogLevel__Default"] = "Information",
        }, async (app, http) =>
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostEventAsync(badMemberName)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.PostEventAsync(separatorInId)).StatusCode);
            await Eventually.HoldsAsync(() => markers.Keys.All(app.Output.Contains), "not every event was logged");

            // ReceiverProcess reads the output as a terminal would: CR, LF and CRLF each end a line.
            var lines = app.Output.Split('\n');
            foreach (var (marker, loggedEvent) in markers)
                Assert.Contains(loggedEvent, Assert.Single(lines, line => line.Contains(marker, StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.DoesNotContain('\u2028', app.Output);
        });
    }
}
