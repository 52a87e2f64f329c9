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
/// Only an accepted token is kept, with its principal, until the first instant the check could have refused it: its
/// <c>exp</c> plus the clock skew, on the system clock, which IdentityModel's lifetime check reads; and, when a rotation's
/// grace is running, its end, on the app's clock, which the choice of keys reads, since the token may be signed with a
/// previous secret. The principal is shared by the requests that bear the token: nothing may change it (no
/// <c>IClaimsTransformation</c> is registered). The token is compared in constant time: it is a credential, and a
/// comparison that stops at the first difference would let timing rebuild it.
/// </remarks>
internal sealed class RecentToken
{
    private sealed record Accepted(string Token, ClaimsPrincipal Principal, DateTimeOffset ExpiresAt, DateTimeOffset GraceEndsAt);

    private Accepted? _accepted;

    /// <summary>The principal of <paramref name="token"/> when it is the token accepted last and still would be.</summary>
    /// <param name="now">The app's clock, which the grace of previous secrets is read on.</param>
    public ClaimsPrincipal? Find(string token, DateTimeOffset now) =>
        Volatile.Read(ref _accepted) is { } accepted && TimeProvider.System.GetUtcNow() < accepted.ExpiresAt
        && now < accepted.GraceEndsAt && SameText(accepted.Token, token)
            ? accepted.Principal
            : null;

    /// <param name="expiresAt">Its <c>exp</c> plus the clock skew (system clock).</param>
    /// <param name="graceEndsAt">The end of the previous secrets' grace when it is running, else never (app's clock).</param>
    public void Remember(string token, ClaimsPrincipal principal, DateTimeOffset expiresAt, DateTimeOffset graceEndsAt) =>
        Volatile.Write(ref _accepted, new Accepted(token, principal, expiresAt, graceEndsAt));

    private static bool SameText(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));
}
