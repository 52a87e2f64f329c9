using System.Security.Claims;

namespace Receiver.Auth;

/// <summary>
/// What a query credential may do. <c>read</c>: state, timelines, the feed, with personal data withheld;
/// <c>read:personal</c>: the same with personal data (it includes <c>read</c>); <c>operate</c>: replays of rejected
/// events, reconciliation runs and the audit trail (it includes no reading).
/// </summary>
public static class Scopes
{
    public const string Read = "read";
    public const string ReadPersonal = "read:personal";
    public const string Operate = "operate";

    public static readonly IReadOnlyList<string> All = [Read, ReadPersonal, Operate];

    /// <summary>
    /// The claims Receiver itself puts on an authenticated caller: one per scope, and who the caller is (a key's name,
    /// a token's subject). A token's own claims of these types are removed before, so no token can grant itself one.
    /// </summary>
    public const string ClaimType = "receiver_scope";

    public const string CallerClaimType = "receiver_caller";

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    /// <summary>Whether the caller holds <paramref name="scope"/>; <c>read:personal</c> holds <c>read</c> too.</summary>
    public static bool HasScope(this ClaimsPrincipal caller, string scope) =>
        caller.HasClaim(ClaimType, scope) || (scope == Read && caller.HasClaim(ClaimType, ReadPersonal));

    /// <summary>Whether personal data is shown to this caller (<c>read:personal</c>), or withheld.</summary>
    public static bool MayReadPersonalData(this ClaimsPrincipal caller) => caller.HasClaim(ClaimType, ReadPersonal);

    /// <summary>Who the caller is, as the audit trail records it.</summary>
    public static string CallerName(this ClaimsPrincipal caller) => caller.FindFirst(CallerClaimType)?.Value ?? "unknown";

    /// <summary>The claims of a caller holding <paramref name="scopes"/>, named <paramref name="caller"/>.</summary>
    public static IEnumerable<Claim> Claims(string caller, IEnumerable<string> scopes) =>
        scopes.Distinct(StringComparer.Ordinal).Select(scope => new Claim(ClaimType, scope)).Prepend(new Claim(CallerClaimType, caller));
}

/// <summary>Scopes as configuration and tokens write them: one string, separated by spaces or commas.</summary>
internal static class ScopeList
{
    private static readonly char[] Separators = [' ', ',', '\t'];

    public static IReadOnlyList<string> Parse(string? scopes) =>
        (scopes ?? "").Split(Separators, StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    public static IEnumerable<string> Failures(string setting, string? scopes, bool allowEmpty)
    {
        var parsed = Parse(scopes);
        if (parsed.Count == 0 && !allowEmpty)
            yield return $"{setting} is empty: give one or more of {string.Join(", ", Scopes.All)}.";
        foreach (var unknown in parsed.Where(scope => !Scopes.IsKnown(scope)))
            yield return $"{setting} names '{unknown}', which is not a scope: the scopes are {string.Join(", ", Scopes.All)}.";
    }
}
