using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Receiver.Wallet;

/// <summary>
/// <c>Wallet:*</c> settings: the anchors whose signed client callbacks this receiver takes, as a wallet. Off while no
/// anchor is listed.
/// </summary>
public sealed class WalletOptions
{
    public const string Section = "Wallet";

    /// <summary>Where the callbacks are served: <c>{CallbackPath}/{anchor name}/sep6</c>, <c>sep24</c>, <c>sep31</c> and <c>sep12</c>.</summary>
    public string CallbackPath { get; set; } = "/callbacks";

    public List<WalletAnchor> Anchors { get; set; } = [];
}

/// <summary>One anchor the wallet uses, and how its callbacks are checked.</summary>
public sealed class WalletAnchor
{
    /// <summary>
    /// The wallet's name for the anchor: the path segment of its callback URLs, the <c>anchor</c> of its transactions
    /// in the query API and the feed. Lowercase letters, digits and <c>-</c>.
    /// </summary>
    public string Name { get; set; } = "";

    /// <summary>The anchor's home domain, whose <c>stellar.toml</c> names its signing key (<c>SIGNING_KEY</c>).</summary>
    public string? HomeDomain { get; set; }

    /// <summary>
    /// The anchor's signing key (<c>G...</c>, its SEP-10 key), when given here rather than read from its stellar.toml.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Where its stellar.toml is read: <c>https://{HomeDomain}/.well-known/stellar.toml</c> unless given.</summary>
    public string? StellarTomlUrl { get; set; }

    /// <summary>How often the stellar.toml is read again, to follow a change of key.</summary>
    public TimeSpan SigningKeyRefresh { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the key the stellar.toml named before still verifies after the toml names another.</summary>
    public TimeSpan RotationGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The host the anchor calls this receiver at, exactly as in the callback URL the wallet gave it, with
    /// <c>:port</c> when that URL names a port: the anchor signs it, and a proxy in front of the receiver may change
    /// the Host header, so it is never read from the request. Or give <see cref="CallbackUrl"/>.
    /// </summary>
    public string CallbackHost { get; set; } = "";

    /// <summary>
    /// Instead of <see cref="CallbackHost"/>: a callback URL the anchor was given (any of its SEPs'), from which the
    /// host is read as AP reads it (<see cref="CallbackSignature.HostOf"/>: as written, with the port when it names one).
    /// </summary>
    public string? CallbackUrl { get; set; }

    /// <summary>The host the anchor signs: <see cref="CallbackHost"/>, or <see cref="CallbackUrl"/>'s.</summary>
    public string SignedHost => !string.IsNullOrWhiteSpace(CallbackHost) ? CallbackHost : CallbackSignature.HostOf(new Uri(CallbackUrl!));

    /// <summary>How far a callback's signature time may be from the receiver's clock, either way.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The stellar.toml's address, given or made from the home domain.</summary>
    public Uri? TomlUrl =>
        StellarTomlUrl is { Length: > 0 } url ? new Uri(url)
        : HomeDomain is { Length: > 0 } domain ? StellarTomlReader.DefaultUrl(domain)
        : null;
}

internal sealed partial class WalletOptionsValidator : IValidateOptions<WalletOptions>
{
    public ValidateOptionsResult Validate(string? name, WalletOptions options)
    {
        var failures = new List<string>();
        if (!options.CallbackPath.StartsWith('/') || options.CallbackPath.EndsWith('/'))
            failures.Add($"Wallet:CallbackPath must start with '/' and not end with one (e.g. /callbacks); got '{options.CallbackPath}'.");
        foreach (var (anchor, index) in options.Anchors.Select((anchor, index) => (anchor, index)))
        {
            var key = $"Wallet:Anchors:{index}";
            if (!AnchorName().IsMatch(anchor.Name))
                failures.Add($"{key}:Name must be 1 to 63 lowercase letters, digits and '-'; got '{anchor.Name}'.");
            if (string.IsNullOrWhiteSpace(anchor.CallbackHost) == string.IsNullOrWhiteSpace(anchor.CallbackUrl))
                failures.Add($"{key}: give CallbackHost (the host of the callback URL the anchor calls, with :port when the URL names one, e.g. wallet.example.com:8443) or CallbackUrl (that URL), one of them.");
            else if (anchor.CallbackHost.Contains('/'))
                failures.Add($"{key}:CallbackHost is a host, with :port when the callback URL names one, not a URL; got '{anchor.CallbackHost}'.");
            else if (anchor.CallbackUrl is { Length: > 0 } callbackUrl
                     && (!Uri.TryCreate(callbackUrl, UriKind.Absolute, out var callback) || callback.Scheme is not ("https" or "http")))
                failures.Add($"{key}:CallbackUrl must be the absolute http(s) URL the anchor was given; got '{callbackUrl}'.");
            if (anchor.SigningKey is { } signingKey && !StrKey.TryDecodeAccountId(signingKey, out _))
                failures.Add($"{key}:SigningKey must be a Stellar account id (G..., 56 characters).");
            if (anchor.SigningKey is null && anchor.HomeDomain is null && anchor.StellarTomlUrl is null)
                failures.Add($"{key}: give SigningKey, or HomeDomain (or StellarTomlUrl) to read it from the anchor's stellar.toml.");
            // Whoever can change the toml on its way can sign callbacks: https, but for a toml on this machine.
            if (anchor.StellarTomlUrl is { } url
                && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || !(parsed.Scheme == Uri.UriSchemeHttps || (parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback))))
                failures.Add($"{key}:StellarTomlUrl must be an absolute https URL (http only on loopback); got '{url}'.");
            if (anchor.HomeDomain is { } domain && !HomeDomain().IsMatch(domain))
                failures.Add($"{key}:HomeDomain must be a host name, as in the anchor's stellar.toml address (e.g. testanchor.stellar.org); got '{domain}'.");
            if (!(anchor.CallbackHost + anchor.CallbackUrl).All(char.IsAscii))
                failures.Add($"{key}:CallbackHost and CallbackUrl must be written in ASCII (an international name in its xn-- form), as the anchor signs the host.");
            if (anchor.ClockSkew <= TimeSpan.Zero || anchor.ClockSkew > TimeSpan.FromMinutes(15))
                failures.Add($"{key}:ClockSkew must be more than zero and at most 00:15:00; got {anchor.ClockSkew}.");
            if (anchor.SigningKeyRefresh < TimeSpan.FromMinutes(1))
                failures.Add($"{key}:SigningKeyRefresh must be at least 00:01:00; got {anchor.SigningKeyRefresh}.");
            if (anchor.RotationGrace < TimeSpan.Zero)
                failures.Add($"{key}:RotationGrace must not be negative; got {anchor.RotationGrace}.");
        }
        foreach (var duplicate in options.Anchors.GroupBy(anchor => anchor.Name).Where(group => group.Count() > 1))
            failures.Add($"Wallet:Anchors names '{duplicate.Key}' more than once.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex AnchorName();

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HomeDomain();
}
