using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Faults;

/// <summary>
/// Faults in the middle of a concurrent load: an acknowledged event is never lost or stored twice, a fault is
/// answered with a retryable status, never a 500 or a hang, and the feed has no gap a consumer could fall into.
/// </summary>
public sealed class FaultUnderLoadTests
{
    private sealed record Outcome(string Id, HttpStatusCode? Status, TimeSpan Took);

    /// <summary>Posts fresh events from several workers until <paramref name="stop"/>; each outcome, or null status for a broken connection.</summary>
    private static async Task<List<Outcome>> LoadAsync(Func<HttpClient> client, int workers, ConcurrentBag<Outcome> outcomes, CancellationToken stop)
    {
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var http = client();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var body = i % 2 == 0 ? ApEvents.QuoteCreated() : ApEvents.TransactionEvent("transaction_created", ApEvents.Sep31Created());
                var id = (string)body["id"]!;
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await http.PostEventAsync(body);
                    outcomes.Add(new Outcome(id, response.StatusCode, clock.Elapsed));
                }
                catch (HttpRequestException)
                {
                    outcomes.Add(new Outcome(id, null, clock.Elapsed));
                    await Task.Delay(50);
                }
            }
        })));
        return [.. outcomes];
    }

    /// <summary>The fault lands on a load well under way, however slow the machine is today.</summary>
    private static async Task UnderWayAsync(ConcurrentBag<Outcome> outcomes, int acknowledged)
    {
        var waited = Stopwatch.StartNew();
        while (outcomes.Count(o => o.Status == HttpStatusCode.OK) < acknowledged && waited.Elapsed < TimeSpan.FromSeconds(90))
            await Task.Delay(50);
    }

    private static async Task<long> StoredCountAsync(string connectionString, IEnumerable<string> ids)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE id = ANY($1)", connection) { Parameters = { new() { Value = ids.ToArray() } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task PostgreSQL_stopped_under_load_gives_only_200_or_503_and_every_200_is_stored_once()
    {
        await using var cluster = await PrivateCluster.CreateAsync();
        await using var app = ReceiverApp.With(new Dictionary<string, string?> { ["Database:Timeout"] = "00:00:02" }, cluster.ConnectionString("receiver_crash"));
        await app.InitializeAsync();
        using var stop = new CancellationTokenSource();
        var bag = new ConcurrentBag<Outcome>();

        var load = LoadAsync(app.CreateApClient, workers: 8, bag, stop.Token);
        await UnderWayAsync(bag, acknowledged: 60);
        await cluster.StopAsync("immediate");
        await Task.Delay(3000);
        await cluster.StartAsync();
        stop.CancelAfter(TimeSpan.FromSeconds(4));
        var outcomes = await load;

        Assert.All(outcomes, o => Assert.Contains(o.Status, new HttpStatusCode?[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.All(outcomes, o => Assert.True(o.Took < TimeSpan.FromSeconds(2 + 3), $"{o.Status} after {o.Took}"));
        Assert.Contains(outcomes, o => o.Status == HttpStatusCode.ServiceUnavailable);
        var acknowledged = outcomes.Where(o => o.Status == HttpStatusCode.OK).Select(o => o.Id).ToList();
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} events acknowledged");
        // Recovered without a restart: the last second of the load was acknowledged again.
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
        Assert.Equal(acknowledged.Count, await StoredCountAsync(app.ConnectionString, acknowledged));
        Assert.Equal(await app.CountAsync("events"), await app.ScalarAsync<long>("SELECT count(DISTINCT id) FROM events"));
    }

    [Fact]
    public async Task A_receiver_killed_under_load_loses_no_acknowledged_event_and_leaves_no_gap_in_the_feed()
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        const string secret = "kill-test-secret-0123456789-abcdefghij";
        const string queryKey = "kill-test-query-key-0123456789";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = database,
            ["CALLBACK_API_AUTH_TYPE"] = "jwt",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = secret,
            ["QueryApi__Auth__ApiKey__Keys__0"] = queryKey,
        };
        try
        {
            var port = ReceiverProcess.FreePort();
            var url = new Uri($"http://127.0.0.1:{port}");
            HttpClient Ap()
            {
                var client = new HttpClient(new TokenPerRequest(secret)) { BaseAddress = url };
                return client;
            }

            List<Outcome> outcomes;
            await using (var doomed = ReceiverProcess.Start(settings, arguments: ["--urls", url.ToString()]))
            {
                await doomed.WaitUntilListeningAsync();
                using var stop = new CancellationTokenSource();
                var bag = new ConcurrentBag<Outcome>();
                var load = LoadAsync(Ap, workers: 8, bag, stop.Token);
                await UnderWayAsync(bag, acknowledged: 30);
                doomed.Kill();
                stop.CancelAfter(TimeSpan.FromSeconds(2));
                outcomes = await load;
            }

            await using var restarted = ReceiverProcess.Start(settings, arguments: ["--urls", url.ToString()]);
            await restarted.WaitUntilListeningAsync();
            var after = ApEvents.CustomerUpdated();
            Assert.Equal(HttpStatusCode.OK, (await Ap().PostEventAsync(after)).StatusCode);

            var acknowledged = outcomes.Where(o => o.Status == HttpStatusCode.OK).Select(o => o.Id).Append((string)after["id"]!).ToList();
            Assert.True(acknowledged.Count > 20, $"only {acknowledged.Count} events acknowledged before the kill");
            Assert.Contains(outcomes, o => o.Status is null);
            Assert.All(outcomes, o => Assert.NotEqual(HttpStatusCode.InternalServerError, o.Status));
            Assert.Equal(acknowledged.Count, await StoredCountAsync(database, acknowledged));

            // A consumer following the feed from the start sees every stored event once, in increasing order.
            using var query = new HttpClient { BaseAddress = url };
            query.DefaultRequestHeaders.Add("X-Api-Key", queryKey);
            var fed = new List<(long Sequence, string Id)>();
            for (long last = 0; ;)
            {
                var page = await query.GetJsonAsync($"/events?last_sequence_number={last}&limit=250&wait=0");
                var data = page["data"]!.AsArray();
                if (data.Count == 0) break;
                fed.AddRange(data.Select(e => ((long)e!["sequence_number"]!, (string)e["id"]!)));
                last = (long)page["last_sequence_number"]!;
            }
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            var stored = new List<string>();
            await using (var reader = await new NpgsqlCommand("SELECT id FROM events", connection).ExecuteReaderAsync())
                while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
            Assert.Equal(stored.Order(), fed.Select(f => f.Id).Order());
            Assert.Equal(fed.Select(f => f.Sequence).Order(), fed.Select(f => f.Sequence));
            Assert.Equal(fed.Count, fed.Select(f => f.Sequence).Distinct().Count());
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>Mints a fresh AP token for every request, as AP does for every attempt.</summary>
    private sealed class TokenPerRequest(string secret) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApToken.Mint(secret));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
