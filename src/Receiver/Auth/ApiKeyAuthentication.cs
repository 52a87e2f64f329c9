using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary>
/// Accepted keys, kept as SHA-256 digests and compared in constant time whatever their lengths: every key is
/// compared, so the time taken says nothing about which key, or how much of one, matched.
/// </summary>
internal sealed class KeySet(IEnumerable<string?> keys)
{
    public static readonly KeySet Empty = new([]);

    private readonly byte[][] _digests = [.. keys.Where(k => !string.IsNullOrEmpty(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k!)))];

    public bool Contains(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var found = false;
        foreach (var key in _digests) found |= CryptographicOperations.FixedTimeEquals(digest, key);
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
        var current = false;
        var previous = false;
        foreach (var header in Options.HttpHeaders)
        {
            string? presented = Request.Headers[header];
            if (string.IsNullOrEmpty(presented)) continue;
            present = true;
            // Both sets are compared whatever the clock says, so the time taken tells nothing about which key matched;
            // the deadline is checked per request, so the grace period ends on time without a restart.
            current |= Options.Keys.Contains(presented);
            previous |= Options.PreviousKeys.Contains(presented);
        }
        if (!present) return Task.FromResult(AuthenticateResult.NoResult());
        var accepted = current || (previous && TimeProvider.GetUtcNow() < Options.PreviousKeysUntil);
        return Task.FromResult(accepted
            ? AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity(authenticationType: "api_key")), Scheme.Name))
            : AuthenticateResult.Fail(Options.WrongKeyDetail));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message ?? $"Missing API key: send it in the {string.Join(" or ", Options.HttpHeaders)} header.";
        await AuthProblem.WriteAsync(Context, "invalid_api_key", detail);
    }
}

/// <summary>For an auth type of <c>none</c>, chosen explicitly: every caller is let in.</summary>
internal sealed class NoAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "None";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity(authenticationType: "none")), Scheme.Name)));
}
