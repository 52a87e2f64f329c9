using System.Security.Claims;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using Receiver.Auth;
using Receiver.Http;

namespace Receiver.PersonalData;

/// <summary>
/// The one place that decides what of an event is personal and who sees it: the configured paths, compiled once,
/// for each <see cref="JsonShape"/> a body can have; what a caller is shown (<see cref="For"/>); and what is dropped
/// before a body is stored (<see cref="Drop"/>).
/// </summary>
public sealed class PersonalDataFilter
{
    private readonly Dictionary<JsonShape, PathNode> _withheld;
    private readonly Dictionary<JsonShape, PathNode> _dropped;
    private readonly PersonalDataView _withholding;

    public PersonalDataFilter(IOptions<PersonalDataOptions> options)
    {
        _withheld = Shapes(options.Value.Paths);
        _dropped = Shapes(options.Value.DropAtIngest);
        _withholding = new PersonalDataView(_withheld);
    }

    /// <summary>What stands where a value was withheld or dropped: the JSON string <c>"[withheld]"</c>.</summary>
    public const string Marker = JsonWithholding.Marker;

    /// <summary>How bodies are shown to <paramref name="caller"/>: as stored with <c>read:personal</c>, else with the paths withheld.</summary>
    public PersonalDataView For(ClaimsPrincipal caller) => caller.MayReadPersonalData() ? PersonalDataView.Everything : _withholding;

    /// <summary>
    /// <paramref name="body"/> as it is to be stored: the values at <c>PersonalData:DropAtIngest</c> replaced by the
    /// marker, in a new array; the same array when nothing is dropped, or when it is not JSON (nothing to find a path in).
    /// </summary>
    public byte[] Drop(byte[] body, JsonShape shape)
    {
        var paths = _dropped[shape];
        return paths.IsEmpty ? body : JsonWithholding.Rewrite(body, paths) ?? body;
    }

    private static Dictionary<JsonShape, PathNode> Shapes(IEnumerable<string> configured)
    {
        var payload = PathNode.Compile(configured.Select(text => PersonalDataPath.TryParse(text, out var path, out _)
            ? path
            : throw new OptionsValidationException(PersonalDataOptions.Section, typeof(PersonalDataOptions), [$"'{text}' is not a path"])));
        return new Dictionary<JsonShape, PathNode>
        {
            [JsonShape.Event] = PathNode.Containing("payload", payload),
            [JsonShape.Payload] = payload,
            [JsonShape.Transaction] = payload.MemberOrEmpty("transaction"u8),
            [JsonShape.Quote] = payload.MemberOrEmpty("quote"u8),
            [JsonShape.Customer] = payload.MemberOrEmpty("customer"u8),
        };
    }
}

/// <summary>
/// Bodies as one caller is shown them. Endpoints take it as a parameter (bound from the request's caller), so that no
/// endpoint asks about scopes itself.
/// </summary>
public sealed class PersonalDataView
{
    private readonly Dictionary<JsonShape, Withheld>? _withheld;

    /// <summary>Nothing withheld: bodies are passed through as stored, never parsed.</summary>
    internal static readonly PersonalDataView Everything = new(null);

    internal PersonalDataView(Dictionary<JsonShape, PathNode>? withheld) =>
        _withheld = withheld?.ToDictionary(shape => shape.Key, shape => new Withheld(shape.Value));

    /// <summary>Whether this caller is shown personal data (<c>read:personal</c>).</summary>
    public bool ShowsPersonalData => _withheld is null;

    public static ValueTask<PersonalDataView?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<PersonalDataView?>(context.RequestServices.GetRequiredService<PersonalDataFilter>().For(context.User));

    /// <summary>Stored JSON of <paramref name="shape"/> as this caller is shown it, rewritten only as it is written out.</summary>
    public RawJson Show(RawJson stored, JsonShape shape) => _withheld is null ? stored : stored with { Rewrite = _withheld[shape] };

    /// <summary>
    /// A body kept as it was received (a rejected event: any bytes) as this caller is shown it: as it is; with the
    /// paths withheld under its payload when it is an AP event in UTF-8 JSON; else null, withheld whole.
    /// </summary>
    public byte[]? ShowReceived(byte[] body) =>
        _withheld is null ? body
        : Utf8.IsValid(body) && JsonWithholding.IsEvent(body) ? JsonWithholding.Rewrite(body, _withheld[JsonShape.Event].Paths)
        : null;

    /// <summary>The paths of one shape, as the JSON writer of a response applies them.</summary>
    private sealed class Withheld(PathNode paths) : IRawJsonRewrite
    {
        public PathNode Paths { get; } = paths;

        public void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8) => JsonWithholding.Write(writer, utf8, Paths);
    }
}
