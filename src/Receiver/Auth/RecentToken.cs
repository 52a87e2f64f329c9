using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;

namespace Receiver.Auth;

/// <summary>
/// The AP token accepted last, so that a request bearing the same token is not checked again. AP mints a token for
/// every attempt, but from whole seconds (<c>iat</c>, <c>exp</c>) under a fixed header: all it mints within one second
/// are the same string, so while AP sends more than an event a second most requests repeat the one before.
/// </summary>
/// <remarks>
/// Only an accepted token is kept, with its principal (shared by the requests that bear it, read-only), until the
/// first instant the check could have refused it: its <c>exp</c> plus the clock skew, or the end of the previous
/// secrets' grace when one is running, since it may be signed with one of them. The token is compared in constant time:
/// it is a credential, and a comparison that stops at the first difference would let timing rebuild it.
/// </remarks>
internal sealed class RecentToken
{
    private sealed record Accepted(string Token, ClaimsPrincipal Principal, DateTimeOffset Until);

    private Accepted? _accepted;

    /// <summary>The principal of <paramref name="token"/> when it is the token accepted last and still would be.</summary>
    public ClaimsPrincipal? Find(string token, DateTimeOffset now) =>
        Volatile.Read(ref _accepted) is { } accepted && now < accepted.Until && SameText(accepted.Token, token)
            ? accepted.Principal
            : null;

    public void Remember(string token, ClaimsPrincipal principal, DateTimeOffset until) =>
        Volatile.Write(ref _accepted, new Accepted(token, principal, until));

    private static bool SameText(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));
}
