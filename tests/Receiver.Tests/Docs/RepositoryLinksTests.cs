using System.Text.RegularExpressions;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Docs;

/// <summary>A clone is all a reader has: nothing may point outside it, and every link inside it must lead somewhere.</summary>
public partial class RepositoryLinksTests
{
    private static readonly string[] TextExtensions = [".md", ".cs", ".csproj", ".props", ".json", ".yaml", ".yml", ".sh", ".mjs", ".sql", ""];

    [Fact]
    public void No_file_refers_to_a_path_outside_the_repository()
    {
        var offenders = RepositoryFiles.All()
            .Where(path => TextExtensions.Contains(Path.GetExtension(path)))
            .SelectMany(path => File.ReadLines(Path.Combine(Repository.Root, path))
                .Select((line, index) => (path, number: index + 1, line)))
            .Where(found => OutsideReference().IsMatch(found.line))
            .Select(found => $"{found.path}:{found.number}: {found.line.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, "Paths leading out of the repository:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void Every_relative_link_in_the_markdown_leads_to_a_file_and_heading_of_the_repository()
    {
        var broken = new List<string>();
        foreach (var file in Markdown.Files())
        foreach (var target in Markdown.LinkTargets(Markdown.Read(file)).Where(IsRelative))
        {
            var (path, anchor) = target.IndexOf('#') is var hash and >= 0 ? (target[..hash], target[(hash + 1)..]) : (target, "");
            var resolved = path.Length == 0
                ? Path.Combine(Repository.Root, file)
                : Path.GetFullPath(Path.Combine(Repository.Root, Path.GetDirectoryName(file)!, path));
            if (!resolved.StartsWith(Repository.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && resolved != Repository.Root)
                broken.Add($"{file}: {target} leads out of the repository");
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
                broken.Add($"{file}: {target} names no file");
            else if (anchor.Length > 0 && resolved.EndsWith(".md", StringComparison.Ordinal)
                     && !Markdown.Anchors(File.ReadAllText(resolved)).Contains(anchor))
                broken.Add($"{file}: {target} names no heading of {Path.GetRelativePath(Repository.Root, resolved)}");
        }

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join('\n', broken));
    }

    private static bool IsRelative(string target) =>
        !target.Contains("://", StringComparison.Ordinal) && !target.StartsWith("mailto:", StringComparison.Ordinal);

    /// <summary>
    /// A relative path that climbs out of the checkout into a sibling folder's shared reference files, which a clone
    /// does not have. An elided citation of AP's code in its package <c>shared</c> (three dots, then
    /// the package) reads the same, so it counts too: such a citation names the AP path in full.
    /// </summary>
    [GeneratedRegex(@"(?<!\w)(\.\./)+(shared|reference)\b")]
    private static partial Regex OutsideReference();
}
