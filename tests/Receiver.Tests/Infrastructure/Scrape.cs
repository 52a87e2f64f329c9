using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Receiver.Tests.Infrastructure;

/// <summary>One scrape of a Prometheus text endpoint: every sample, by metric name and labels.</summary>
public sealed partial class Scrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private Scrape(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (Sample().Match(line) is not { Success: true } sample) continue;
            var labels = Label().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            _samples.Add((sample.Groups["name"].Value, labels, double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; private init; } = "";

    /// <summary>The sum of every sample of <paramref name="name"/> carrying these labels (others may differ); 0 when none.</summary>
    public double Value(string name, params (string Label, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);

    public bool Has(string name, params (string Label, string Value)[] labels) =>
        _samples.Any(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value));

    public static async Task<Scrape> OfAsync(HttpClient client, string path = "/metrics")
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return new Scrape(text) { Text = text };
    }

    /// <summary>Scrapes until <paramref name="done"/> holds (values that are counted in the background), at most a minute.</summary>
    public static async Task<Scrape> UntilAsync(HttpClient client, Func<Scrape, bool> done, string path = "/metrics")
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await OfAsync(client, path);
            if (done(scrape) || deadline.Elapsed > TimeSpan.FromSeconds(60)) return scrape;
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)""")]
    private static partial Regex Sample();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex Label();
}
