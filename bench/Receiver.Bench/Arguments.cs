namespace Receiver.Bench;

internal sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --name value, got '{args[i]}'");
            values[args[i][2..]] = args[i + 1];
        }
        return new Arguments(values);
    }

    public string Text(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    public string Choice(string name, params string[] choices) =>
        !values.TryGetValue(name, out var value) ? choices[0]
        : choices.Contains(value) ? value : throw new ArgumentException($"--{name} is one of {string.Join(", ", choices)}, not '{value}'");

    public bool Has(string name) => values.ContainsKey(name);

    public long Long(string name, long fallback) => values.TryGetValue(name, out var value) ? long.Parse(value) : fallback;

    public int Number(string name, int fallback) => values.TryGetValue(name, out var value) ? int.Parse(value) : fallback;
}
