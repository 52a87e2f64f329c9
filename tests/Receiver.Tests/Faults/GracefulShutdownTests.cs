using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Faults;

/// <summary>SIGTERM: stop accepting, answer what was accepted, close streams with a final frame, exit in time.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task On_SIGTERM_in_flight_events_are_answered_streams_get_a_final_frame_polls_return_and_the_process_exits()
    {
        var database = TestPostgres.NewDatabaseConnectionString();
        const string key = "shutdown-query-key-0123456789";
        var port = ReceiverProcess.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        try
        {
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = database,
                ["CALLBACK_API_AUTH_TYPE"] = "none",
                ["QueryApi__Auth__ApiKey__Keys__0"] = key,
                ["Shutdown__TimeoutSeconds"] = "10",
            }, arguments: ["--urls", url.ToString()]);
            await app.WaitUntilListeningAsync();
            using var query = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(90) };
            query.DefaultRequestHeaders.Add("X-Api-Key", key);

            using var streamRequest = new HttpRequestMessage(HttpMethod.Get, $"/events/stream?last_sequence_number={long.MaxValue / 2}");
            streamRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var stream = await query.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new SseReader(await stream.Content.ReadAsStreamAsync());
            Assert.NotNull((await reader.NextAsync())!.Retry);
            var poll = query.GetAsync($"/events?last_sequence_number={long.MaxValue / 2}&wait=60");

            // Senders keep posting through the shutdown.
            using var stop = new CancellationTokenSource();
            var answers = new ConcurrentBag<(string Id, HttpStatusCode? Status)>();
            var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                using var ap = new HttpClient { BaseAddress = url };
                while (!stop.IsCancellationRequested)
                {
                    var body = ApEvents.QuoteCreated();
                    try
                    {
                        using var response = await ap.PostEventAsync(body);
                        answers.Add(((string)body["id"]!, response.StatusCode));
                    }
                    catch (HttpRequestException)
                    {
                        answers.Add(((string)body["id"]!, null));
                        await Task.Delay(20);
                    }
                }
            })).ToList();
            // SIGTERM lands on a loaded process: wait for the senders to be well under way, however slow the machine.
            var underWay = Stopwatch.StartNew();
            while (answers.Count(a => a.Status == HttpStatusCode.OK) < 20 && underWay.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(50);

            var clock = Stopwatch.StartNew();
            app.Terminate();

            var final = await reader.NextAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("{\"reason\":\"the server is shutting down; reconnect with Last-Event-ID\"}", final?.Data);
            Assert.Null(await reader.NextAsync(TimeSpan.FromSeconds(10))); // and the stream ends
            var polled = await poll;
            Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the long-poll answered {clock.Elapsed} after SIGTERM");
            Assert.Equal(0, await app.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the process took {clock.Elapsed} to exit");
            await stop.CancelAsync();
            await Task.WhenAll(senders);

            // Every event answered 200 is stored; none was answered anything but 200 or refused a connection.
            var acknowledged = answers.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.Id).ToArray();
            Assert.True(acknowledged.Length > 10, $"only {acknowledged.Length} events acknowledged");
            Assert.All(answers, a => Assert.True(a.Status is null or HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{a.Status}"));
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE id = ANY($1)", connection) { Parameters = { new() { Value = acknowledged } } };
            Assert.Equal(acknowledged.LongLength, (long)(await count.ExecuteScalarAsync())!);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }
}
