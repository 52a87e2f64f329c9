using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Receiver.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Receiver.Tests.Ingest;

/// <summary>
/// The generated corpus of <see cref="HostileInputs"/> against <c>POST /event</c>: every input is answered as its
/// expectation says (400, 413 or 415; 200 for the mutations that are still valid events), never 5xx, never no answer;
/// and nothing is stored but what was answered 200, while every 400 is kept verbatim as a rejected event.
/// </summary>
public sealed class HostileInputTests(ReceiverApp app, ITestOutputHelper output) : IClassFixture<ReceiverApp>
{
    /// <summary>The corpus must not shrink silently: it generated this many inputs when written.</summary>
    private const int MinimumInputs = 9_330;

    private const int Parallelism = 8;
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(30);

    private static readonly string[] SubjectTables = ["events", "transactions", "quotes", "customers"];

    private sealed record Answer(HostileInput Input, int Status, string? MediaType, string Text)
    {
        public string Hash { get; } = Convert.ToHexStringLower(SHA256.HashData(Input.Body));

        public override string ToString() =>
            $"{Input} -> {(Status == 0 ? "no answer" : Status.ToString())}: {Text[..Math.Min(Text.Length, 300)].ReplaceLineEndings(" ")}";
    }

    [Fact]
    public async Task Every_hostile_input_gets_its_answer_never_a_5xx_and_only_what_is_answered_200_is_stored_outside_rejected_events()
    {
        var stopwatch = Stopwatch.StartNew();
        var maxBodyBytes = int.Parse(app.Setting("Ingest:MaxBodyBytes") ?? "1048576");
        var corpus = HostileInputs.Generate(maxBodyBytes);
        output.WriteLine($"{corpus.Count} hostile inputs generated in {stopwatch.Elapsed.TotalSeconds:0.0} s " +
                         $"({corpus.Sum(i => (long)i.Body.Length) / (1024 * 1024)} MiB)");
        foreach (var category in corpus.GroupBy(i => i.Category).OrderBy(g => g.Key))
            output.WriteLine($"  {category.Key,-18} {category.Count(),6}  " +
                             string.Join(", ", category.GroupBy(i => i.Expected).Select(g => $"{g.Key} {g.Count()}")));
        Assert.True(corpus.Count >= MinimumInputs, $"The corpus shrank: {corpus.Count} inputs, at least {MinimumInputs} expected.");

        // First everything that must be refused: not one row may appear outside rejected_events.
        var before = await CountRowsAsync();
        var refused = await PostAllAsync(corpus.Where(i => i.Expected is Expectation.Invalid or Expectation.TooLarge or Expectation.NotJson));
        var afterRefused = await CountRowsAsync();

        // Then the mutations that are still valid events, or may be either.
        var rest = await PostAllAsync(corpus.Where(i => i.Expected is Expectation.Stored or Expectation.StoredOrInvalid));
        var answers = refused.Concat(rest).ToList();
        output.WriteLine($"{answers.Count} inputs posted in {stopwatch.Elapsed.TotalSeconds:0.0} s; answers: " +
                         string.Join(", ", answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));

        var wrong = answers.Where(a => !AnsweredAsExpected(a)).ToList();
        Assert.True(wrong.Count == 0,
            $"{wrong.Count} of {answers.Count} inputs were not answered as expected " +
            $"({string.Join(", ", wrong.GroupBy(a => a.Input.Category).Select(g => $"{g.Key}: {g.Count()}"))}):\n" +
            string.Join("\n", wrong.GroupBy(a => a.Input.Category).SelectMany(g => g.Take(12))));

        Assert.Equal(before, afterRefused);

        // The database holds exactly what was answered 200, and every 400 verbatim among the rejected events.
        var storedBodies = await HashesAsync("SELECT encode(sha256(body), 'hex') FROM events");
        var answered200 = answers.Where(a => a.Status == 200).Select(a => a.Hash).ToHashSet();
        Assert.Equal(answered200.Count, storedBodies.Count);
        AssertSameSet(answered200, storedBodies.ToHashSet(), "answered 200", "in events");

        var rejectedBodies = await HashesAsync("SELECT encode(sha256(body), 'hex') FROM rejected_events");
        var answered400 = answers.Where(a => a.Status == 400).Select(a => a.Hash).ToHashSet();
        AssertSameSet(answered400, rejectedBodies.ToHashSet(), "answered 400", "in rejected_events");

        // The state tables hold nothing that no stored event says.
        Assert.Equal(0, await app.CountAsync("transactions t", "NOT EXISTS (SELECT 1 FROM events e WHERE e.id = t.head_event_id)"));
        Assert.Equal(0, await app.CountAsync("quotes q", "NOT EXISTS (SELECT 1 FROM events e WHERE e.id = q.event_id)"));
        Assert.Equal(0, await app.CountAsync("customers c",
            "NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id OR c.id = ANY(e.customer_ids))"));
        output.WriteLine($"Done in {stopwatch.Elapsed.TotalSeconds:0.0} s: {storedBodies.Count} stored, {rejectedBodies.Count} rejected rows.");
    }

    private static bool AnsweredAsExpected(Answer answer) => answer.Input.Expected switch
    {
        Expectation.Stored => answer.Status == 200,
        Expectation.Invalid => IsInvalidEventProblem(answer),
        Expectation.TooLarge => answer.Status == 413,
        Expectation.NotJson => answer.Status == 415,
        Expectation.StoredOrInvalid => answer.Status == 200 || IsInvalidEventProblem(answer),
        _ => false,
    };

    /// <summary>A 400 of the receiver's own: problem+json naming at least one invalid path.</summary>
    private static bool IsInvalidEventProblem(Answer answer)
    {
        if (answer.Status != 400 || answer.MediaType != "application/problem+json") return false;
        try
        {
            using var problem = JsonDocument.Parse(answer.Text);
            return problem.RootElement.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<List<Answer>> PostAllAsync(IEnumerable<HostileInput> inputs)
    {
        var answers = new List<Answer>();
        await Parallel.ForEachAsync(inputs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (input, _) =>
        {
            var answer = await PostAsync(input);
            lock (answers) answers.Add(answer);
        });
        return answers;
    }

    private async Task<Answer> PostAsync(HostileInput input)
    {
        using var client = app.CreateApClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using HttpContent content = input.Chunked ? new StreamContent(new NonSeekableStream(input.Body)) : new ByteArrayContent(input.Body);
        if (input.ContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType);
        using var deadline = new CancellationTokenSource(AnswerDeadline);
        try
        {
            using var response = await client.PostAsync("/event", content, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            return new Answer(input, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new Answer(input, 0, null, $"no answer within {AnswerDeadline.TotalSeconds} s");
        }
    }

    private async Task<long[]> CountRowsAsync() =>
        await Task.WhenAll(SubjectTables.Select(table => app.CountAsync(table)));

    private async Task<List<string>> HashesAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var hashes = new List<string>();
        while (await reader.ReadAsync()) hashes.Add(reader.GetString(0));
        return hashes;
    }

    private static void AssertSameSet(HashSet<string> expected, HashSet<string> actual, string expectedName, string actualName)
    {
        var missing = expected.Except(actual).Count();
        var extra = actual.Except(expected).Count();
        Assert.True(missing == 0 && extra == 0,
            $"{missing} bodies {expectedName} are not {actualName}; {extra} bodies {actualName} were not {expectedName}.");
    }

    /// <summary>Makes HttpClient send the body chunked, without Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>
/// What HttpClient cannot send, on a raw socket to the real app (its own process, Kestrel on a free port): a
/// Content-Length shorter or longer than the body, a malformed one, broken chunking, a body dripped slowly. Each
/// exchange ends by itself (an answer, or the server closing the connection), never with a 5xx, and stores nothing.
/// </summary>
public sealed class HostileInputOverTcpTests(HostileInputOverTcpTests.KestrelReceiver receiver, ITestOutputHelper output)
    : IClassFixture<HostileInputOverTcpTests.KestrelReceiver>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly string[] SubjectTables = ["events", "transactions", "quotes", "customers"];

    /// <summary>One exchange: what to send, and which statuses may come back (an empty list: only a closed connection).</summary>
    private sealed record Case(string Name, RawHttp.Part[] Parts, bool HalfClose, int[] Allowed, int? FirstStatus = null);

    [Fact]
    public async Task A_lying_or_malformed_Content_Length_or_broken_chunking_gets_400_413_or_a_closed_connection_never_a_5xx_or_a_hang()
    {
        var body = InvalidEvent();
        var length = body.Length;
        var limit = KestrelReceiver.MaxBodyBytes;
        var cases = new List<Case>
        {
            // Shorter: the app reads a truncated body (400); on a kept-alive connection, Kestrel reads the rest as a request (400).
            new("Content-Length one byte short", [Head($"Content-Length: {length - 1}", Close), new(body)], false, [400], 400),
            new("Content-Length half the body", [Head($"Content-Length: {length / 2}", Close), new(body)], false, [400], 400),
            new("Content-Length 0 with a body", [Head("Content-Length: 0", Close), new(body)], false, [400], 400),
            new("Content-Length one byte short, the rest read as the next request",
                [Head($"Content-Length: {length - 1}"), new([.. body, .. "\r\n\r\n"u8])], false, [400], 400),
            // Longer: the body ends before its declared length, or never comes.
            new("Content-Length one byte long, then end of input", [Head($"Content-Length: {length + 1}"), new(body)], true, [400]),
            new("Content-Length twice the body, then end of input", [Head($"Content-Length: {2 * length}"), new(body)], true, [400]),
            new("Content-Length one byte long, the connection left open", [Head($"Content-Length: {length + 1}"), new(body)], false, [400, 408]),
            // Malformed: Kestrel's own 400.
            new("Content-Length not a number", [Head("Content-Length: abc"), new(body)], false, [400], 400),
            new("Content-Length negative", [Head("Content-Length: -1"), new(body)], false, [400], 400),
            new("Content-Length with a space inside", [Head($"Content-Length: {length / 10} {length % 10}"), new(body)], false, [400], 400),
            new("Content-Length beyond a long", [Head("Content-Length: 99999999999999999999999"), new(body)], false, [400], 400),
            new("two different Content-Lengths", [Head($"Content-Length: {length}", $"Content-Length: {length - 1}"), new(body)], false, [400], 400),
            new("Content-Length and Transfer-Encoding: chunked, the body not chunked",
                [Head($"Content-Length: {length}", "Transfer-Encoding: chunked", Close), new(body)], false, [400], 400),
            new("unknown Transfer-Encoding", [Head("Transfer-Encoding: gzip"), new(body)], false, [400, 501], 400),
            // Too large, whether declared or sent.
            new("Content-Length over Ingest:MaxBodyBytes, a short body", [Head($"Content-Length: {limit + 1}", Close), new(body)], false, [413], 413),
            new("Content-Length of long.MaxValue", [Head($"Content-Length: {long.MaxValue}", Close), new(body)], false, [413], 413),
            new("a body one byte over Ingest:MaxBodyBytes, declared", [Head($"Content-Length: {limit + 1}", Close), new(new byte[limit + 1])], false, [413], 413),
            new("chunks over Ingest:MaxBodyBytes", [Head("Transfer-Encoding: chunked", Close), new(Chunk(new byte[limit])), new(Chunk(new byte[1])), new(LastChunk)], false, [413], 413),
            // Broken chunking.
            new("chunk size not hexadecimal", [Head("Transfer-Encoding: chunked", Close), new("zz\r\n"u8.ToArray()), new(body)], false, [400], 400),
            new("chunk longer than its size", [Head("Transfer-Encoding: chunked", Close), new(Chunk(body, declared: 4)), new(LastChunk)], false, [400], 400),
            new("chunk shorter than its size, then end of input", [Head("Transfer-Encoding: chunked"), new(Chunk(body, declared: length + 10))], true, [400]),
            new("no last chunk, then end of input", [Head("Transfer-Encoding: chunked"), new(Chunk(body))], true, [400]),
            new("no last chunk, the connection left open", [Head("Transfer-Encoding: chunked"), new(Chunk(body))], false, [400, 408]),
        };

        await AssertExchangesAsync(cases);
    }

    [Fact]
    public async Task A_body_dripped_slowly_is_answered_when_complete_and_one_dripped_below_Kestrels_minimum_rate_is_cut_off()
    {
        var declared = InvalidEvent();
        var chunked = InvalidEvent();
        var cases = new List<Case>
        {
            // About 50 writes 20 ms apart: the body is read whole and refused as an invalid event.
            new("invalid event, 16 bytes every 20 ms, Content-Length",
                [Head($"Content-Length: {declared.Length}", Close), .. Drip(declared, 16, TimeSpan.FromMilliseconds(20))], false, [400], 400),
            new("invalid event, 16-byte chunks every 20 ms",
                [Head("Transfer-Encoding: chunked", Close), .. Drip(chunked, 16, TimeSpan.FromMilliseconds(20), asChunks: true), new(LastChunk)], false, [400], 400),
            // A byte every 200 ms, far below Kestrel's minimum of 240 bytes/s after a 5 s grace: the server must end it.
            new("one byte every 200 ms",
                [Head("Content-Length: 10000"), .. Drip(new byte[150], 1, TimeSpan.FromMilliseconds(200))], false, [400, 408]),
        };

        await AssertExchangesAsync(cases);
        foreach (var body in new[] { declared, chunked })
            Assert.Equal(1, await receiver.CountAsync("rejected_events", "body = $1", body));
    }

    private async Task AssertExchangesAsync(List<Case> cases)
    {
        var before = await Task.WhenAll(SubjectTables.Select(table => receiver.CountAsync(table)));
        var exchanges = await Task.WhenAll(cases.Select(c => RawHttp.SendAsync(receiver.Port, c.Parts, c.HalfClose, Deadline)));
        for (var i = 0; i < cases.Count; i++) output.WriteLine($"{cases[i].Name}: {exchanges[i]}");
        output.WriteLine($"{cases.Count} raw exchanges.");

        var wrong = cases.Zip(exchanges).Where(x => !AsExpected(x.First, x.Second)).Select(x => $"{x.First.Name}: {x.Second}").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {cases.Count} exchanges went wrong:\n{string.Join("\n", wrong)}");
        Assert.Equal(before, await Task.WhenAll(SubjectTables.Select(table => receiver.CountAsync(table))));
        // Nothing the app failed on, but EF's read of a history table that does not exist yet at the first start (dotnet/efcore#37328).
        var failures = Regex.Matches(receiver.Output, @"^fail: .*(?:\n[ \t]+.*)*", RegexOptions.Multiline)
            .Select(m => m.Value).Where(f => !f.Contains("FROM \"__EFMigrationsHistory\"", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, $"The receiver logged failures:\n{string.Join("\n", failures)}");
    }

    private static bool AsExpected(Case c, RawHttp.Exchange exchange) =>
        !exchange.TimedOut
        && exchange.Statuses.All(status => c.Allowed.Contains(status))
        && (c.FirstStatus is not { } first || exchange.Statuses.FirstOrDefault() == first);

    private const string Close = "Connection: close";
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    private RawHttp.Part Head(params string[] headers) =>
        new(RawHttp.Head([$"Authorization: Bearer {ApToken.Mint(ReceiverApp.JwtSecret)}", "Content-Type: application/json", .. headers]));

    /// <summary>A valid-looking event with an unknown status: 400 once read whole, and kept as rejected.</summary>
    private static byte[] InvalidEvent() =>
        Encoding.UTF8.GetBytes(ApEvents.All["sep24-deposit-created"]().Set("payload/transaction/status", "\"hostile\"").ToJsonString());

    private static byte[] Chunk(byte[] data, int? declared = null) =>
        [.. Encoding.ASCII.GetBytes($"{declared ?? data.Length:x}\r\n"), .. data, .. "\r\n"u8];

    private static IEnumerable<RawHttp.Part> Drip(byte[] data, int size, TimeSpan pause, bool asChunks = false) =>
        data.Chunk(size).Select(piece => new RawHttp.Part(asChunks ? Chunk(piece) : piece, pause));

    /// <summary>The receiver as its own process, on a free port and a database of its own.</summary>
    public sealed class KestrelReceiver : IAsyncLifetime
    {
        public const int MaxBodyBytes = 65536;

        private ReceiverProcess? _process;

        public string ConnectionString { get; } = TestPostgres.NewDatabaseConnectionString("receiver_hostile");
        public int Port { get; } = ReceiverProcess.FreePort();
        public string Output => _process?.Output ?? "";

        public async Task InitializeAsync()
        {
            _process = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = ConnectionString,
                ["CALLBACK_API_AUTH_TYPE"] = "jwt",
                ["SECRET_CALLBACK_API_AUTH_SECRET"] = ReceiverApp.JwtSecret,
                ["QueryApi__Auth__ApiKey__Keys__0"] = ReceiverApp.QueryKey,
                ["Ingest__MaxBodyBytes"] = MaxBodyBytes.ToString(),
            }, arguments: ["--urls", $"http://127.0.0.1:{Port}"]);
            await _process.WaitUntilListeningAsync();
        }

        public async Task DisposeAsync()
        {
            if (_process is not null) await _process.DisposeAsync();
            await TestPostgres.DropDatabaseAsync(ConnectionString);
        }

        public async Task<long> CountAsync(string table, string? where = null, params object[] parameters)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}" + (where is null ? "" : $" WHERE {where}"), connection);
            foreach (var parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            return (long)(await command.ExecuteScalarAsync())!;
        }
    }
}
