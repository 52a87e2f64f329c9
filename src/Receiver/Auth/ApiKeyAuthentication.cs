using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary>
/// One accepted key, and the claims of a request that presents it: who presents it (as the audit trail names them)
/// and the scopes it grants, made once (each identity copies them). A class, not a record: nothing prints the key,
/// and no copy can keep claims made from other values.
/// </summary>
internal sealed class ApiKeyHolder(string key, string caller, IReadOnlyList<string> scopes)
{
    public string Key { get; } = key;

    public Claim[] Claims { get; } = [.. Scopes.Claims(caller, scopes)];
}

/// <summary>
/// Accepted keys, kept as SHA-256 digests and compared in constant time whatever their lengths: every key is
/// compared, so the time taken says nothing about which key, or how much of one, matched.
/// </summary>
internal sealed class KeySet
{
    public static readonly KeySet Empty = new(Array.Empty<ApiKeyHolder>());

    private readonly (byte[] Digest, ApiKeyHolder Holder)[] _keys;

    public KeySet(IEnumerable<ApiKeyHolder> holders) =>
        _keys = [.. holders.Where(h => !string.IsNullOrEmpty(h.Key)).Select(h => (Digest(h.Key), h))];

    /// <summary>Keys that name no caller and grant no scope (AP's callback secret).</summary>
    public KeySet(IEnumerable<string?> keys) : this(keys.Select(key => new ApiKeyHolder(key ?? "", "", []))) { }

    /// <summary>The digest a presented key is compared by, written to <paramref name="digest"/> (32 bytes).</summary>
    public static void Digest(string presented, Span<byte> digest)
    {
        var length = Encoding.UTF8.GetByteCount(presented);
        var utf8 = length <= 256 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(presented, utf8);
        SHA256.HashData(utf8, digest);
    }

    private static byte[] Digest(string key)
    {
        var digest = new byte[SHA256.HashSizeInBytes];
        Digest(key, digest);
        return digest;
    }

    /// <summary>The holder of the key whose <see cref="Digest(string, Span{byte})"/> is given, or null.</summary>
    public ApiKeyHolder? Find(ReadOnlySpan<byte> digest)
    {
        ApiKeyHolder? found = null;
        foreach (var (key, holder) in _keys)
            if (CryptographicOperations.FixedTimeEquals(digest, key)) found = holder;
        return found;
    }
}

/// <summary>One API-key scheme: which headers may carry the key, which keys open it, what a refusal says.</summary>
internal sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Headers read for the key, in the order a refusal names them. Duplicates are read once.</summary>
    public IReadOnlyList<string> HttpHeaders { get; set; } = ["X-Api-Key"];
    public KeySet Keys { get; set; } = KeySet.Empty;

    /// <summary>Keys being rotated out: accepted as well as <see cref="Keys"/>, but only before <see cref="PreviousKeysUntil"/>.</summary>
    public KeySet PreviousKeys { get; set; } = KeySet.Empty;

    public DateTimeOffset PreviousKeysUntil { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The 401 detail for a key that is present but not accepted.</summary>
    public string WrongKeyDetail { get; set; } = "The API key is not accepted.";
}

/// <summary>
/// The key verbatim, with no prefix, in one of the configured headers (as AP's <c>api_key</c> callback auth sends it).
/// A request that carries the key in more than one of them is let in when any one holds an accepted key.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var present = false;
        ApiKeyHolder? current = null;
        ApiKeyHolder? previous = null;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var headers = Options.HttpHeaders;
        for (var i = 0; i < headers.Count; i++)
        {
            string? presented = Request.Headers[headers[i]];
            if (string.IsNullOrEmpty(presented)) continue;
            present = true;
            // Both sets are compared whatever the clock says, so the time taken tells nothing about which key matched;
            // the deadline is checked per request, so the grace period ends on time without a restart.
            KeySet.Digest(presented, digest);
            var inKeys = Options.Keys.Find(digest);
            var inPreviousKeys = Options.PreviousKeys.Find(digest);
            current ??= inKeys;
            previous ??= inPreviousKeys;
        }
        if (!present) return Task.FromResult(AuthenticateResult.NoResult());
        var holder = current ?? (TimeProvider.GetUtcNow() < Options.PreviousKeysUntil ? previous : null);
        return Task.FromResult(holder is not null
            ? AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity(holder.Claims, authenticationType: "api_key")), Scheme.Name))
            : AuthenticateResult.Fail(Options.WrongKeyDetail));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message ?? $"Missing API key: send it in the {string.Join(" or ", Options.HttpHeaders)} header.";
        await AuthProblem.WriteAsync(Context, "invalid_api_key", detail);
    }
}

/// <summary>For an auth type of <c>none</c>, chosen explicitly: every caller is let in, with every scope.</summary>
internal sealed class NoAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "None";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity(Scopes.Claims("anonymous", Scopes.All), authenticationType: "none")), Scheme.Name)));
}
