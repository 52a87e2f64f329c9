using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Receiver.Bench;

/// <summary>
/// The query API over HTTP against a database holding the first <c>--events</c> events of <see cref="SizeTraffic"/>,
/// one request at a time (a client reading pages): p50/p95/max of each measure, as markdown rows. Every measure is
/// <c>--requests</c> requests, or fewer when they exceed <c>--budget</c> seconds (at least 3 unless they take twice the
/// budget), so a slow query costs minutes, not hours; the row says how many ran.
/// </summary>
internal static class SizeQueries
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var events = arguments.Long("events", 1_000_000);
        var requests = arguments.Number("requests", 20);
        var budget = TimeSpan.FromSeconds(arguments.Number("budget", 20));
        var deepPage = arguments.Number("deep-page", 40);
        var limit = arguments.Number("limit", 100);
        using var client = new HttpClient { BaseAddress = new Uri(arguments.Text("url")), Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", arguments.Text("query-key"));

        var end = SizeTraffic.At(events);
        var middle = SizeTraffic.At(events / 2);
        string Time(DateTimeOffset at) => Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var usdc = Uri.EscapeDataString(SizeTraffic.Usdc);
        var eurc = Uri.EscapeDataString(SizeTraffic.Assets[1]);
        (string Name, string Query)[] lists =
        [
            ("no filter", ""),
            ("sep=24", "sep=24"),
            ("kind=withdrawal", "kind=withdrawal"),
            ("status=completed", "status=completed"),
            ("status=pending_anchor,pending_stellar", "status=pending_anchor&status=pending_stellar"),
            ("asset=USDC", $"asset={usdc}"),
            ("account (one of many)", $"account={SizeTraffic.SomeAccount}"),
            ("customer_id (one of many)", $"customer_id={SizeTraffic.SomeCustomer}"),
            ("updated_after (last day)", $"updated_after={Time(end - TimeSpan.FromDays(1))}"),
            ("updated_before (older half)", $"updated_before={Time(middle)}"),
            ("sep=31 & status=completed", "sep=31&status=completed"),
            ("sep=24 & kind=deposit & asset=USDC", $"sep=24&kind=deposit&asset={usdc}"),
            ("status=pending_anchor & asset=EURC", $"status=pending_anchor&asset={eurc}"),
            ("customer_id (busiest) & status=completed", $"customer_id={SizeTraffic.BusiestCustomer}&status=completed"),
            ("sep=6 & updated in one day mid-history", $"sep=6&updated_after={Time(middle)}&updated_before={Time(middle + TimeSpan.FromDays(1))}"),
        ];
        // GET /quotes: quotes never change, so a page is one index read in (order_key, id) order from the cursor on.
        (string Name, string Query)[] quoteLists =
        [
            ("quotes, no filter", ""),
            ("quotes, sell_asset=iso4217:USD", "sell_asset=iso4217%3AUSD"),
            ("quotes, created_after (older half)", $"created_after={Time(middle)}"),
        ];

        Console.WriteLine($"{events:N0} events; one request at a time; limit {limit}; up to {requests} requests or {budget.TotalSeconds:F0} s per row");
        Console.WriteLine();
        Console.WriteLine("| measure | n | p50 ms | p95 ms | max ms | rows |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, query, resource) in lists.Select(l => (l.Name, l.Query, "transactions")).Concat(quoteLists.Select(l => (l.Name, l.Query, "quotes"))))
        {
            var path = $"/{resource}?limit={limit}" + (query.Length > 0 ? "&" + query : "");
            var (first, rows, _) = await TimeAsync(client, path, requests, budget);
            Row($"list, first page: {name}", first, rows);
            // The cursor of page deepPage, reached by walking (within the budget: a slower walk stops at the page reached).
            var (page, cursorPath) = await WalkToAsync(client, path, deepPage, budget);
            if (cursorPath is null) { Console.WriteLine($"| list, page {deepPage}: {name} | | | | | no page past {page} |"); continue; }
            var (deep, deepRows, _) = await TimeAsync(client, cursorPath, requests, budget);
            Row($"list, page {page}: {name}", deep, deepRows);
        }

        var ids = Enumerable.Range(0, requests).Select(i => SizeTraffic.TransactionId((long)(i * 0.2 * events / requests))).ToArray();
        var single = new Timings();
        foreach (var id in ids) single.Add((await GetAsync(client, $"/transactions/{id}")).Ms);
        Row("GET /transactions/{id}", single, 1);
        var (customer, _, customerBody) = await TimeAsync(client, $"/customers/{SizeTraffic.BusiestCustomer}", requests, budget);
        var customerTransactions = customerBody is null ? 0 : JsonDocument.Parse(customerBody).RootElement.GetProperty("transaction_ids").GetArrayLength();
        Row($"GET /customers/{{id}}, the busiest ({customerTransactions:N0} transactions)", customer, 1);

        await WalkAsync(client, arguments, events);
        await CatchUpAsync(client, TimeSpan.FromSeconds(arguments.Number("catch-up-budget", 60)));
        return 0;
    }

    /// <summary>Times of the requests answered, and of those that failed with 503.</summary>
    private sealed class Timings : List<double>
    {
        public List<double> Failed { get; } = [];
    }

    private static void Row(string name, Timings ms, int rows)
    {
        ms.Sort();
        var failed = ms.Failed.Count == 0 ? "" : $"; {ms.Failed.Count} answered 503 after {ms.Failed.Min() / 1000:F1}-{ms.Failed.Max() / 1000:F1} s";
        Console.WriteLine(ms.Count == 0
            ? $"| {name} | 0 | | | | none{failed} |"
            : $"| {name} | {ms.Count} | {Percentile(ms, 0.5):F1} | {Percentile(ms, 0.95):F1} | {ms[^1]:F1} | {rows}{failed} |");
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    /// <summary>One GET; a failure (the 503 of a query that outlasts Database:Timeout) is counted, not thrown.</summary>
    private static async Task<(double Ms, string? Body)> TryGetAsync(HttpClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (response.IsSuccessStatusCode) return (ms, body);
        if ((int)response.StatusCode != 503) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
        return (ms, null);
    }

    private static async Task<(double Ms, string Body)> GetAsync(HttpClient client, string path) =>
        await TryGetAsync(client, path) is (var ms, { } body) ? (ms, body) : throw new InvalidOperationException($"GET {path}: 503");

    private static async Task<(Timings Ms, int Rows, string? Body)> TimeAsync(HttpClient client, string path, int requests, TimeSpan budget)
    {
        var times = new Timings();
        var clock = Stopwatch.StartNew();
        string? body = null;
        // At least 3 requests, unless one alone takes the budget (then its p50, p95 and max are that one).
        for (var sent = 0; sent == 0 || (sent < requests && (clock.Elapsed < budget || (sent < 3 && clock.Elapsed < 2 * budget))); sent++)
        {
            var (ms, answer) = await TryGetAsync(client, path);
            if (answer is null) times.Failed.Add(ms);
            else { times.Add(ms); body = answer; }
        }
        if (body is null) return (times, 0, null);
        using var page = JsonDocument.Parse(body);
        var rows = page.RootElement.TryGetProperty("data", out var data) ? data.GetArrayLength() : 1;
        return (times, rows, body);
    }

    private static string? NextCursor(string body)
    {
        using var page = JsonDocument.Parse(body);
        return page.RootElement.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
    }

    /// <summary>Follows next_cursor to page <paramref name="target"/>: the path of the page reached, when past the first.</summary>
    private static async Task<(int Page, string? Path)> WalkToAsync(HttpClient client, string path, int target, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var (_, body) = await TryGetAsync(client, path);
        string? reached = null;
        var page = 1;
        while (body is not null && page < target && clock.Elapsed < budget && NextCursor(body) is { } cursor)
        {
            var next = $"{path}&cursor={Uri.EscapeDataString(cursor)}";
            (_, body) = await TryGetAsync(client, next);
            if (body is null) break;
            reached = next;
            page++;
        }
        return (page, reached);
    }

    /// <summary>
    /// A full cursor walk of the transactions updated in a window of history that holds about --walk-transactions of
    /// them (4.1 events per transaction, one every 3 s), limit 250: time per page in each fifth of the walk, so a
    /// walk linear in pages shows as flat rows.
    /// </summary>
    private static async Task WalkAsync(HttpClient client, Arguments arguments, long events)
    {
        var wanted = arguments.Long("walk-transactions", 50_000);
        var budget = TimeSpan.FromSeconds(arguments.Number("walk-budget", 300));
        // A transaction's newest event is its order key, and about 0.24 transactions end per event.
        var span = Math.Min(events, (long)(wanted / 0.24));
        var after = SizeTraffic.At(events / 2 - span / 2);
        var before = SizeTraffic.At(events / 2 + span / 2);
        string Time(DateTimeOffset at) => Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var path = $"/transactions?limit=250&updated_after={Time(after)}&updated_before={Time(before)}";
        var times = new List<double>();
        var failed = 0;
        var rows = 0;
        var clock = Stopwatch.StartNew();
        string? next = path;
        while (next is not null && clock.Elapsed < budget)
        {
            var (ms, body) = await TryGetAsync(client, next);
            if (body is null) { failed++; if (failed == 3) break; continue; }
            times.Add(ms);
            using (var page = JsonDocument.Parse(body)) rows += page.RootElement.GetProperty("data").GetArrayLength();
            next = NextCursor(body) is { } cursor ? $"{path}&cursor={Uri.EscapeDataString(cursor)}" : null;
        }
        var complete = next is null ? "complete" : failed == 3 ? "stopped by 503s" : $"stopped by the {budget.TotalSeconds:F0} s budget";
        if (failed > 0) complete += $", {failed} pages answered 503 and were asked again";
        Console.WriteLine();
        Console.WriteLine($"Full cursor walk, updated_after & updated_before mid-history, limit 250: {rows:N0} transactions, " +
                          $"{times.Count} pages in {clock.Elapsed.TotalSeconds:F1} s ({complete}); ms per page, p50 by fifth of the walk:");
        Console.WriteLine();
        Console.WriteLine("| fifth | pages | p50 ms | max ms |");
        Console.WriteLine("|---|---|---|---|");
        for (var fifth = 0; fifth < 5; fifth++)
        {
            var part = times.Skip(times.Count * fifth / 5).Take(times.Count * (fifth + 1) / 5 - times.Count * fifth / 5).Order().ToList();
            if (part.Count == 0) continue;
            Console.WriteLine($"| {fifth + 1} | {part.Count} | {Percentile(part, 0.5):F1} | {part[^1]:F1} |");
        }
    }

    /// <summary>The feed from the start: long-poll pages of 250 with wait=0, back to back, for up to the budget.</summary>
    private static async Task CatchUpAsync(HttpClient client, TimeSpan budget)
    {
        long after = 0, read = 0;
        var pages = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            var (ms, body) = await GetAsync(client, $"/events?last_sequence_number={after}&limit=250&wait=0");
            using var page = JsonDocument.Parse(body);
            var count = page.RootElement.GetProperty("data").GetArrayLength();
            if (count == 0) break;
            pages.Add(ms);
            read += count;
            after = page.RootElement.GetProperty("last_sequence_number").GetInt64();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        pages.Sort();
        Console.WriteLine();
        Console.WriteLine($"Feed catch-up from 0 (GET /events, limit 250, wait=0, up to {budget.TotalSeconds:F0} s): {read:N0} events in {seconds:F1} s, " +
                          $"{read / seconds:F0} events/s; per page p50 {Percentile(pages, 0.5):F1} ms, p95 {Percentile(pages, 0.95):F1} ms, max {pages[^1]:F1} ms");
    }
}
