using System.Text.RegularExpressions;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Docs;

/// <summary>The repository's Markdown as the docs tests read it: files, fenced code blocks, links, heading anchors.</summary>
internal static partial class Markdown
{
    /// <summary>A fenced code block: its language, the line just above its opening fence, its text.</summary>
    public sealed record CodeBlock(string Language, string LineAbove, string Text);

    /// <summary>Every Markdown file of the repository, as paths relative to its root (build output and packages left out).</summary>
    public static IReadOnlyList<string> Files() =>
        [.. RepositoryFiles.All().Where(path => path.EndsWith(".md", StringComparison.Ordinal))];

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Repository.Root, relativePath));

    public static IReadOnlyList<CodeBlock> CodeBlocks(string markdown)
    {
        var blocks = new List<CodeBlock>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal)) continue;
            var start = i;
            var end = Array.FindIndex(lines, i + 1, line => line.TrimStart().StartsWith("```", StringComparison.Ordinal));
            if (end < 0) end = lines.Length;
            blocks.Add(new CodeBlock(fence[3..].Trim(), start > 0 ? lines[start - 1] : "", string.Join('\n', lines[(start + 1)..end])));
            i = end;
        }
        return blocks;
    }

    /// <summary>The text outside fenced code blocks, where links and headings are.</summary>
    public static string Prose(string markdown) => FencedBlock().Replace(markdown, "");

    /// <summary>Targets of inline links, <c>[text](target)</c>.</summary>
    public static IEnumerable<string> LinkTargets(string markdown) =>
        InlineLink().Matches(Prose(markdown)).Select(match => match.Groups["target"].Value);

    /// <summary>The anchors GitHub gives the headings of a file: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(Prose(markdown)))
        {
            var slug = NotInSlug().Replace(heading.Groups["title"].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-');
            var anchor = slug;
            for (var n = 1; !anchors.Add(anchor); n++) anchor = $"{slug}-{n}";
        }
        return anchors;
    }

    [GeneratedRegex(@"^ *```.*?^ *```[^\n]*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^#{1,6} +(?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N}_\- ]")]
    private static partial Regex NotInSlug();
}

/// <summary>The files of the checkout that belong to the repository, whatever a build or a test run left beside them.</summary>
internal static class RepositoryFiles
{
    private static readonly string[] NotOurs = ["bin", "obj", "out", "node_modules", ".git", ".data", "TestResults"];

    public static IEnumerable<string> All() => Under(Repository.Root);

    private static IEnumerable<string> Under(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
            yield return Path.GetRelativePath(Repository.Root, file).Replace('\\', '/');
        foreach (var child in Directory.EnumerateDirectories(directory).Where(d => !NotOurs.Contains(Path.GetFileName(d))))
        foreach (var file in Under(child))
            yield return file;
    }
}
