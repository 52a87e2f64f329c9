namespace Receiver.Wallet;

/// <summary>
/// A stellar.toml that gave no usable signing key. The message names the URL, then what went wrong
/// ("answered 404", "has no SIGNING_KEY", ...), so that one log line or one answer tells an operator what to fix.
/// </summary>
internal sealed class StellarTomlException(Uri url, string problem, Exception? inner = null) : Exception($"{url} {problem}", inner);
