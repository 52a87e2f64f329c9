using System.Net;
using System.Text;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>
/// Every query parameter of every list, fed hostile values: SQL fragments, quotes, Unicode, control characters,
/// huge and empty strings. Values only ever reach SQL as parameters, so each answer is 200 or a 400 naming the
/// parameter: never a 500, and never a changed database.
/// </summary>
public sealed class QueryParameterFuzzTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    private static readonly string[] Lists =
    [
        "/transactions?{0}={1}",
        "/quotes?{0}={1}",
        "/rejected-events?{0}={1}",
        // The stream reads its parameters with the same code as the poll (FeedEndpoints.Read).
        "/events?wait=0&{0}={1}",
    ];

    private static readonly Dictionary<string, string[]> Parameters = new()
    {
        ["/transactions"] = ["sep", "kind", "status", "asset", "updated_after", "updated_before", "customer_id", "account", "cursor", "limit"],
        ["/quotes"] = ["sell_asset", "buy_asset", "created_after", "cursor", "limit"],
        ["/rejected-events"] = ["reason", "event_id", "cursor", "limit"],
        ["/events"] = ["last_sequence_number", "limit", "type", "transaction_id"],
    };

    private static IEnumerable<string> HostileValues()
    {
        yield return "'";
        yield return "''; DROP TABLE events; --";
        yield return "1 OR 1=1";
        yield return "x' UNION SELECT body FROM events --";
        yield return "$1";
        yield return "%";
        yield return "_";
        yield return "\\";
        yield return "\"";
        yield return "{}";
        yield return "[]";
        yield return "null";
        yield return "-1";
        yield return "0";
        yield return "9223372036854775808";
        yield return "1e400";
        yield return "2024-02-30T00:00:00Z";
        yield return "0000-01-01T00:00:00Z";
        yield return "9999-12-31T23:59:59.9999999Z";
        yield return "ü€𝄞";
        yield return "\u202Ereversed";
        yield return "tab\there";
        yield return "nul\0byte";
        yield return "line\nbreak";
        yield return "";
        yield return " ";
        yield return new string('a', 300);
        yield return new string('9', 5000);
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"q\":\"x\",\"a\":1}")) + ".AAAA";
    }

    [Fact]
    public async Task Hostile_values_in_every_query_parameter_are_200_or_400_and_change_nothing()
    {
        var ap = app.CreateApClient();
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ap.PostEventAsync(ApEvents.QuoteCreated())).StatusCode);
        var before = await CountsAsync();
        var query = app.CreateQueryClient();
        var tried = 0;

        foreach (var template in Lists)
        {
            var path = template[..template.IndexOf('?')];
            foreach (var parameter in Parameters[path])
            foreach (var value in HostileValues())
            {
                var url = string.Format(template, parameter, Uri.EscapeDataString(value));
                using var response = await query.GetAsync(url);
                tried++;
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest,
                    $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(tried >= 600, $"only {tried} requests tried");
        Assert.Equal(before, await CountsAsync());
    }

    private async Task<string> CountsAsync() =>
        string.Join(",", await Task.WhenAll(new[] { "events", "transactions", "quotes", "customers", "rejected_events" }
            .Select(table => app.CountAsync(table))));
}
