using System.Text;

namespace Receiver.PersonalData;

/// <summary>
/// One path of <c>PersonalData:Paths</c> or <c>:DropAtIngest</c>, relative to an event's <c>payload</c>: the subject
/// object first (<c>transaction</c>, <c>quote</c> or <c>customer</c>), then member names separated by <c>.</c>, each
/// optionally followed by <c>[*]</c> for each item of that array: <c>transaction.stellar_transactions[*].memo</c>.
/// </summary>
internal sealed record PersonalDataPath(IReadOnlyList<PathStep> Steps)
{
    public static readonly IReadOnlyList<string> Subjects = ["transaction", "quote", "customer"];

    private const string ItemsSuffix = "[*]";

    public static bool TryParse(string? text, out PersonalDataPath path, out string? problem)
    {
        path = new PersonalDataPath([]);
        problem = Problem(text?.Trim() ?? "", out var steps);
        if (problem is null) path = new PersonalDataPath(steps);
        return problem is null;
    }

    private static string? Problem(string text, out List<PathStep> steps)
    {
        steps = [];
        if (text.Length == 0) return "a path is not empty";
        var segments = text.Split('.');
        if (!Subjects.Contains(segments[0], StringComparer.Ordinal))
            return $"a path starts with the subject object it is in: {string.Join(", ", Subjects)} (e.g. transaction.memo)";
        if (segments.Length < 2) return "a path names a member of its subject, not the subject itself (e.g. transaction.memo)";
        steps.Add(new PathStep.Member(segments[0]));
        foreach (var segment in segments[1..])
        {
            var name = segment;
            var items = 0;
            while (name.EndsWith(ItemsSuffix, StringComparison.Ordinal))
            {
                name = name[..^ItemsSuffix.Length];
                items++;
            }
            if (name.Length == 0) return "each segment names a member (a.b, a[*].b), none is empty";
            if (name.IndexOfAny(['[', ']', '*', ' ', '"', '\\']) >= 0 || name.Any(char.IsControl))
                return $"'{segment}' is not a member name with an optional [*]: names hold no [, ], *, quote, backslash or space";
            steps.Add(new PathStep.Member(name));
            for (var i = 0; i < items; i++) steps.Add(new PathStep.Items());
        }
        return null;
    }

    public override string ToString() => string.Concat(Steps.Select((step, i) => step switch
    {
        PathStep.Member member => (i == 0 ? "" : ".") + member.Name,
        _ => ItemsSuffix,
    }));
}

internal abstract record PathStep
{
    /// <summary>An object's member, by name.</summary>
    public sealed record Member(string Name) : PathStep;

    /// <summary>Each item of an array.</summary>
    public sealed record Items : PathStep;
}

/// <summary>
/// Paths compiled into a tree the rewriter walks along with the JSON: where a value is withheld, and which members
/// and items lead to one. A node withheld is withheld whole: paths below it add nothing.
/// </summary>
internal sealed class PathNode
{
    private readonly List<(byte[] Utf8Name, PathNode Node)> _members = [];

    public bool Withheld { get; private set; }
    public PathNode? Items { get; private set; }

    /// <summary>Whether nothing at or below this node is withheld: the rewriter then reads no further.</summary>
    public bool IsEmpty => !Withheld && _members.Count == 0 && Items is null;

    public static PathNode Compile(IEnumerable<PersonalDataPath> paths)
    {
        var root = new PathNode();
        foreach (var path in paths) root.Add(path.Steps, 0);
        return root;
    }

    /// <summary>The node of a member named <paramref name="utf8Name"/> (the subject objects, at a payload's root).</summary>
    public PathNode MemberOrEmpty(ReadOnlySpan<byte> utf8Name)
    {
        foreach (var (name, node) in _members)
            if (name.AsSpan().SequenceEqual(utf8Name)) return node;
        return new PathNode();
    }

    /// <summary>A node whose one member is <paramref name="name"/>, leading to <paramref name="node"/>.</summary>
    public static PathNode Containing(string name, PathNode node)
    {
        var container = new PathNode();
        if (!node.IsEmpty) container._members.Add((Encoding.UTF8.GetBytes(name), node));
        return container;
    }

    /// <summary>The child of the property name the reader is on, compared as JSON text (escapes read), or null.</summary>
    public PathNode? Member(ref System.Text.Json.Utf8JsonReader reader)
    {
        foreach (var (name, node) in _members)
            if (reader.ValueTextEquals(name)) return node;
        return null;
    }

    public bool HasMembers => _members.Count > 0;

    private void Add(IReadOnlyList<PathStep> steps, int at)
    {
        if (Withheld) return;
        if (at == steps.Count)
        {
            Withheld = true;
            _members.Clear();
            Items = null;
            return;
        }
        PathNode next;
        if (steps[at] is PathStep.Member { Name: var name })
        {
            var utf8 = Encoding.UTF8.GetBytes(name);
            var index = _members.FindIndex(member => member.Utf8Name.AsSpan().SequenceEqual(utf8));
            if (index < 0) _members.Add((utf8, next = new PathNode()));
            else next = _members[index].Node;
        }
        else
        {
            next = Items ??= new PathNode();
        }
        next.Add(steps, at + 1);
    }
}
