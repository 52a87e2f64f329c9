using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Receiver.Configuration;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Docs;

/// <summary>
/// docs/configuration.md against the code: the options classes, appsettings.json and AP's variable names. A default
/// is written in its options class and described in the table; this keeps the two from drifting apart.
/// </summary>
public partial class ConfigurationDocsTests
{
    /// <summary>Options properties bound from a key other than <c>Section:Property</c>, with the key they are bound from.</summary>
    private static readonly Dictionary<string, string> BoundElsewhere = new(StringComparer.Ordinal)
    {
        ["Database:ConnectionString"] = "ConnectionStrings:Receiver",
        ["Database:Standby:ConnectionString"] = "ConnectionStrings:ReceiverStandby",
    };

    /// <summary>Settings read from configuration itself, before options exist (where the endpoint is mapped).</summary>
    private static readonly string[] ReadDirectly = [Receiver.Ingest.EventPaths.BaseUrlKey, Receiver.Ingest.EventPaths.BasePathKey];

    private sealed record Row(string Key, string Variables, string Default);

    private static readonly IReadOnlyList<Row> Table = ReadTable();

    [Fact]
    public void Every_key_of_appsettings_json_is_documented_with_its_default()
    {
        var missing = new List<string>();
        foreach (var (key, value) in AppSettings())
        {
            var row = Find(key);
            if (row is null) missing.Add($"{key} has no row");
            else if (value.Length > 0 && !row.Key.EndsWith('*') && !row.Default.Contains($"`{value}`", StringComparison.Ordinal))
                missing.Add($"{key}: appsettings.json says {value}, the table's default is {row.Default}");
        }

        Assert.True(missing.Count == 0, "docs/configuration.md against appsettings.json:\n" + string.Join('\n', missing));
    }

    /// <summary>A default is written once, in its options class: a copy in appsettings.json would hide a change to it.</summary>
    [Fact]
    public void Appsettings_json_repeats_no_default_of_an_options_class()
    {
        var options = OptionsProperties().Select(property => BoundElsewhere.GetValueOrDefault(property.Key, property.Key)).ToHashSet(StringComparer.Ordinal);
        var repeated = AppSettings().Select(setting => setting.Key).Where(options.Contains).ToList();

        Assert.True(repeated.Count == 0, "appsettings.json sets what an options class already defaults: " + string.Join(", ", repeated));
    }

    [Fact]
    public void Every_property_of_an_options_class_is_documented_with_its_default()
    {
        var missing = new List<string>();
        foreach (var (key, value) in OptionsProperties())
        {
            var row = Find(BoundElsewhere.GetValueOrDefault(key, key));
            if (row is null) missing.Add($"{key} has no row");
            else if (value is not null && !row.Default.Contains($"`{value}`", StringComparison.Ordinal))
                missing.Add($"{key}: the options class defaults to {value}, the table to {row.Default}");
        }

        Assert.True(missing.Count == 0, "docs/configuration.md against the options classes:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_documented_key_is_one_the_app_reads()
    {
        var read = AppSettings().Select(setting => setting.Key)
            .Concat(ReadDirectly)
            .Concat(OptionsProperties().Select(property => BoundElsewhere.GetValueOrDefault(property.Key, property.Key)))
            .ToHashSet(StringComparer.Ordinal);
        var unknown = Table.Where(row => !read.Any(key => Matches(row.Key, key))).Select(row => row.Key).ToList();

        Assert.True(unknown.Count == 0, "Rows of docs/configuration.md that name no setting the app reads: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Each_row_names_the_environment_variables_that_set_it()
    {
        var missing = new List<string>();
        foreach (var (variable, key) in AnchorPlatformEnvironment.Keys)
        {
            if (Find(key) is not { } row || !row.Variables.Contains($"`{variable}`", StringComparison.Ordinal))
                missing.Add($"{key} does not name AP's {variable}");
        }
        // Urls and the log levels are ASP.NET Core's own, set by ASPNETCORE_URLS and per category.
        foreach (var row in Table.Where(row => row.Key != "Urls" && !row.Key.EndsWith('*')))
        {
            if (!row.Variables.Contains($"`{row.Key.Replace(":", "__", StringComparison.Ordinal)}", StringComparison.Ordinal))
                missing.Add($"{row.Key} does not name {row.Key.Replace(":", "__", StringComparison.Ordinal)}");
        }

        Assert.True(missing.Count == 0, "docs/configuration.md's environment variables:\n" + string.Join('\n', missing));
    }

    private static Row? Find(string key) => Table.FirstOrDefault(row => Matches(row.Key, key));

    /// <summary>A row's key is a setting's key, or ends in <c>*</c> for every key under it (<c>Logging:LogLevel:*</c>).</summary>
    private static bool Matches(string rowKey, string key) =>
        rowKey.EndsWith('*') ? key.StartsWith(rowKey[..^1], StringComparison.Ordinal) : rowKey == key;

    private static List<Row> ReadTable()
    {
        var rows = Markdown.Read("docs/configuration.md").Split('\n')
            .Select(line => TableRow().Match(line))
            .Where(match => match.Success)
            .Select(match => new Row(match.Groups["key"].Value, match.Groups["variables"].Value, match.Groups["default"].Value))
            .ToList();
        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>The leaves of appsettings.json as configuration keys (an array is one setting), with their values as the table writes them.</summary>
    private static IEnumerable<(string Key, string Value)> AppSettings()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "appsettings.json")));
        return Leaves(document.RootElement, "").ToList();

        static IEnumerable<(string, string)> Leaves(JsonElement element, string prefix) => element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().SelectMany(member => Leaves(member.Value, prefix.Length == 0 ? member.Name : $"{prefix}:{member.Name}")),
            JsonValueKind.Array => [(prefix, "")],
            JsonValueKind.String => [(prefix, element.GetString()!)],
            _ => [(prefix, element.GetRawText())],
        };
    }

    /// <summary>
    /// Every settable property of every options class (a public class with a <c>Section</c> constant), nested settings
    /// included, as a configuration key, with its default as configuration writes it (null when there is none to show).
    /// </summary>
    private static IEnumerable<(string Key, string? Value)> OptionsProperties()
    {
        var optionsClasses = typeof(AnchorPlatformEnvironment).Assembly.GetExportedTypes()
            .Where(type => type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true });
        var properties = optionsClasses
            .SelectMany(type => Properties(Activator.CreateInstance(type)!, (string)type.GetField("Section")!.GetRawConstantValue()!))
            .ToList();
        Assert.NotEmpty(properties);
        return properties;

        static IEnumerable<(string, string?)> Properties(object settings, string prefix)
        {
            foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
            {
                var key = $"{prefix}:{property.Name}";
                var value = property.GetValue(settings);
                var type = property.PropertyType;
                if (type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type))
                {
                    foreach (var nested in Properties(value!, key)) yield return nested;
                    continue;
                }
                yield return (key, value switch
                {
                    null or "" or IEnumerable and not string => null,
                    bool flag => flag ? "true" : "false",
                    Enum choice => choice.ToString().ToLowerInvariant(),
                    TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
                    IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                });
            }
        }
    }

    /// <summary><c>| `Key` | variables | default | meaning |</c></summary>
    [GeneratedRegex(@"^\| `(?<key>[^`]+)` \| (?<variables>[^|]*) \| (?<default>[^|]*) \|")]
    private static partial Regex TableRow();
}
