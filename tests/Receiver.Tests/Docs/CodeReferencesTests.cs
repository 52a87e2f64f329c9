using System.Reflection;
using System.Text.RegularExpressions;
using Receiver.Configuration;

namespace Receiver.Tests.Docs;

/// <summary>
/// The docs name code in backticks (<c>`Ingest/EventFacts.cs`</c>, <c>`EventIngestor.ReplayAsync`</c>); a file moved or
/// a method renamed must not leave them pointing at nothing, or the map in architecture.md stops being true.
/// </summary>
public partial class CodeReferencesTests
{
    private static readonly Type[] AppTypes = typeof(AnchorPlatformEnvironment).Assembly.GetTypes();

    [Fact]
    public void Every_source_file_the_docs_name_exists()
    {
        var missing = (from file in Markdown.Files()
                       from Match named in SourceFile().Matches(Markdown.Prose(Markdown.Read(file)))
                       let path = named.Groups["path"].Value
                       where !new[] { "src/Receiver", "tests/Receiver.Tests", "" }.Any(root => File.Exists(Path.Combine(Infrastructure.Repository.Root, root, path)))
                       select $"{file}: {path}").Distinct().ToList();

        Assert.True(missing.Count == 0, "Source files the docs name that do not exist:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_member_of_ours_the_docs_name_exists()
    {
        var missing = new List<string>();
        foreach (var file in Markdown.Files())
        foreach (Match named in TypeAndMember().Matches(Markdown.Prose(Markdown.Read(file))))
        {
            var types = AppTypes.Where(type => type.Name == named.Groups["type"].Value).ToList();
            if (types.Count == 0) continue; // another library's, e.g. `JsonNamingPolicy.SnakeCaseLower`
            var member = named.Groups["member"].Value;
            if (!types.Any(type => type.GetMember(member, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance).Length > 0))
                missing.Add($"{file}: {named.Value}");
        }

        Assert.True(missing.Count == 0, "Members the docs name that do not exist:\n" + string.Join('\n', missing.Distinct()));
    }

    [GeneratedRegex(@"`(?<path>(?:[A-Za-z]+/)+[A-Za-z]+\.cs)`")]
    private static partial Regex SourceFile();

    [GeneratedRegex(@"`(?<type>[A-Z]\w+)\.(?<member>[A-Z]\w+)(?:\(\))?`")]
    private static partial Regex TypeAndMember();
}
