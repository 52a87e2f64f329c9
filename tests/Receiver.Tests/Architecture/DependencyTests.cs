using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Receiver.Configuration;
using Receiver.Tests.Docs;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Architecture;

/// <summary>
/// The map in docs/architecture.md, enforced: each folder of src/Receiver (a namespace <c>Receiver.X</c>, with its
/// sub-namespaces) refers only to the folders its row says it may use. A reference is anything in the compiled code:
/// a base type, a member's signature, an attribute, a local, or a type, method or field named in a method body
/// (lambdas and async methods included), so a fully qualified name does not hide one. A constant is copied into the
/// code that reads it, so the source's <c>using</c> directives and qualified names are checked too.
/// </summary>
public partial class DependencyTests
{
    private static readonly Assembly App = typeof(AnchorPlatformEnvironment).Assembly;

    /// <summary>Program.cs and ReceiverApplication.cs put the app together: they use every folder.</summary>
    private const string Root = "";

    [Fact]
    public void Each_folder_uses_only_the_folders_its_row_of_the_map_allows()
    {
        var mayUse = Map();
        var violations = Uses()
            .Where(use => !mayUse.GetValueOrDefault(use.Folder, []).Contains(use.Used))
            .Select(use => $"{use.Folder} uses {use.Used}: {use.Evidence}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(violations.Count == 0, "Uses the map in docs/architecture.md does not allow:\n" + string.Join('\n', violations));
    }

    /// <summary>The map says what the code is: a use it allows but no code makes is as untrue as one it forbids.</summary>
    [Fact]
    public void Each_use_the_map_allows_is_one_the_code_makes()
    {
        var made = Uses().Select(use => (use.Folder, use.Used)).ToHashSet();
        var unused = Map()
            .SelectMany(row => row.Value.Select(used => (Folder: row.Key, Used: used)))
            .Where(use => !made.Contains(use))
            .Select(use => $"{use.Folder} may use {use.Used}, but does not")
            .ToList();

        Assert.True(unused.Count == 0, "Uses docs/architecture.md's map allows that the code does not make:\n" + string.Join('\n', unused));
    }

    /// <summary>
    /// Every use of one folder by another, from the compiled code (IL, signatures, attributes) and from the source's
    /// names (<c>using</c> directives and qualified names, which also see a use of a constant).
    /// </summary>
    private static List<(string Folder, string Used, string Evidence)> Uses()
    {
        var uses = new List<(string, string, string)>();
        foreach (var type in App.GetTypes())
        {
            if (FolderOf(type) is not { } folder || folder == Root) continue;
            foreach (var group in References(type).GroupBy(FolderOf).Where(g => g.Key is { } used && used != folder))
                uses.Add((folder, group.Key == Root ? "the root namespace" : group.Key!, $"{Describe(type)} refers to {string.Join(", ", group.Select(r => r.Name).Distinct())}"));
        }

        var source = Path.Combine(Repository.Root, "src", "Receiver");
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal)) continue;
            if (!relative.Contains(Path.DirectorySeparatorChar)) continue; // Program.cs, ReceiverApplication.cs
            var folder = relative.Split(Path.DirectorySeparatorChar)[0];
            foreach (var used in NamedFolder().Matches(File.ReadAllText(file)).Select(m => m.Groups["folder"].Value).Distinct())
                if (used != folder) uses.Add((folder, used, $"{relative} names Receiver.{used}"));
        }
        return uses;
    }

    /// <summary>docs/architecture.md: "EF for schema and migrations, SQL only in the stores".</summary>
    [Fact]
    public void Sql_is_run_only_in_Storage_and_in_the_stores()
    {
        var source = Path.Combine(Repository.Root, "src", "Receiver");
        var elsewhere = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(source, file))
            .Where(file => !file.StartsWith("obj", StringComparison.Ordinal) && !file.StartsWith("bin", StringComparison.Ordinal))
            .Where(file => !file.StartsWith("Storage" + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !file.EndsWith("Store.cs", StringComparison.Ordinal))
            .Where(file => RunsSql().IsMatch(File.ReadAllText(Path.Combine(source, file))))
            .ToList();

        Assert.True(elsewhere.Count == 0, "SQL run outside Storage/ and the stores: " + string.Join(", ", elsewhere));
    }

    [GeneratedRegex(@"\b(NpgsqlCommand|NpgsqlBatch|CreateCommand|CreateBatch|ExecuteScalar|ExecuteNonQuery|ExecuteReader|ExecuteSql\w*|FromSql\w*|SqlQuery\w*)\b")]
    private static partial Regex RunsSql();

    [GeneratedRegex(@"(?<![\w.])Receiver\.(?<folder>[A-Z]\w*)\b")]
    private static partial Regex NamedFolder();

    [Fact]
    public void The_map_has_no_cycle_so_every_folder_depends_only_downward()
    {
        var mayUse = Map();
        var done = new HashSet<string>();
        foreach (var folder in mayUse.Keys) Visit(folder, []);

        void Visit(string folder, List<string> path)
        {
            Assert.False(path.Contains(folder), "docs/architecture.md's map has a cycle: " + string.Join(" -> ", [.. path, folder]));
            if (!done.Add(folder)) return;
            foreach (var used in mayUse.GetValueOrDefault(folder, [])) Visit(used, [.. path, folder]);
        }
    }

    [Fact]
    public void The_map_names_every_folder_of_the_code_and_nothing_else()
    {
        var inCode = App.GetTypes().Select(FolderOf).OfType<string>().Where(folder => folder != Root).ToHashSet();
        Assert.Equal(inCode.Order(), Map().Keys.Order());
    }

    /// <summary>The rows of the map: <c>| `Feed/` | job | Http, Storage, ... |</c>; "—" for none.</summary>
    private static Dictionary<string, HashSet<string>> Map()
    {
        var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in MapRow().Matches(Markdown.Read("docs/architecture.md")))
        {
            var uses = row.Groups["uses"].Value.Trim();
            map[Capitalized(row.Groups["folder"].Value)] = uses == "—"
                ? []
                : [.. uses.Split(',', StringSplitOptions.TrimEntries).Select(Capitalized)];
        }
        Assert.NotEmpty(map);
        foreach (var (folder, uses) in map)
            Assert.True(uses.All(map.ContainsKey), $"{folder}'s row names a folder the map does not have: {string.Join(", ", uses.Where(u => !map.ContainsKey(u)))}");
        return map;
    }

    private static string Capitalized(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    [GeneratedRegex(@"^\| `(?<folder>\w+)/` \|[^|\n]*\| (?<uses>[^|\n]+) \|$", RegexOptions.Multiline)]
    private static partial Regex MapRow();

    /// <summary>The folder of a type of the app: X of <c>Receiver.X...</c>, <see cref="Root"/>, or null for another assembly's or generated code.</summary>
    private static string? FolderOf(Type type)
    {
        while (type.HasElementType) type = type.GetElementType()!;
        if (type.Assembly != App) return null;
        if (type.Namespace is null) return type.Name is "Program" || type.DeclaringType?.Name is "Program" ? Root : null;
        if (type.Namespace == "Receiver") return Root;
        return type.Namespace.StartsWith("Receiver.", StringComparison.Ordinal) ? type.Namespace.Split('.')[1] : null;
    }

    private static string Describe(Type type)
    {
        while (type.DeclaringType is { } outer && type.Name.StartsWith('<')) type = outer;
        return type.FullName ?? type.Name;
    }

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t)) return;
            if (t.HasElementType) Add(t.GetElementType());
            if (t.IsGenericType && !t.IsGenericTypeDefinition) foreach (var argument in t.GetGenericArguments()) Add(argument);
        }
        void Attributes(IEnumerable<CustomAttributeData> attributes)
        {
            foreach (var attribute in attributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(n => n.TypedValue)))
                    if (argument.Value is Type typeArgument) Add(typeArgument);
            }
        }

        Add(type.BaseType);
        foreach (var contract in type.GetInterfaces()) Add(contract);
        Attributes(type.CustomAttributes);
        foreach (var field in type.GetFields(Declared)) { Add(field.FieldType); Attributes(field.CustomAttributes); }
        foreach (var property in type.GetProperties(Declared)) { Add(property.PropertyType); Attributes(property.CustomAttributes); }
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            Attributes(method.CustomAttributes);
            if (method is MethodInfo info) Add(info.ReturnType);
            foreach (var parameter in method.GetParameters()) { Add(parameter.ParameterType); Attributes(parameter.CustomAttributes); }
            foreach (var used in BodyReferences(method)) Add(used);
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    /// <summary>The locals of a method body, and the types, methods and fields its instructions name.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;

        var il = body.GetILAsByteArray()!;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var code = OpCodesByValue[value];
            var operandStart = at;
            at += code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
            if (code.OperandType is not (OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField))
                continue;

            MemberInfo? member;
            try
            {
                member = method.Module.ResolveMember(BitConverter.ToInt32(il, operandStart), typeArguments, methodArguments);
            }
            catch (ArgumentException)
            {
                continue;
            }
            switch (member)
            {
                case Type named:
                    yield return named;
                    break;
                case MethodBase called:
                    yield return called.DeclaringType!;
                    if (called is MethodInfo { IsGenericMethod: true } generic)
                        foreach (var argument in generic.GetGenericArguments()) yield return argument;
                    break;
                case FieldInfo field:
                    yield return field.DeclaringType!;
                    yield return field.FieldType;
                    break;
            }
        }
    }
}
