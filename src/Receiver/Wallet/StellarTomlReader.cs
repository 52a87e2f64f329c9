using System.Buffers;
using System.Text;
using Tomlyn;

namespace Receiver.Wallet;

/// <summary>
/// Finds the key an anchor signs its callbacks with: <c>SIGNING_KEY</c> in its stellar.toml (SEP-1), the public key of
/// the SEP-10 signing seed AP signs with. Reading it from the anchor's own domain (<see cref="DefaultUrl"/>, over HTTPS) is what ties a
/// callback's signature to the anchor rather than to whoever sent it.
/// </summary>
internal sealed class StellarTomlReader(HttpClient http)
{
    /// <summary>
    /// SEP-1: "stellar.toml can have a maximum file size of 100kB" (100 × 1024 bytes, as js-stellar-sdk reads it).
    /// Anything larger is not a stellar.toml, and is not read into memory.
    /// </summary>
    private const int MaxBytes = 100 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Where SEP-1 puts an anchor's stellar.toml.</summary>
    public static Uri DefaultUrl(string homeDomain) => new($"https://{homeDomain}/.well-known/stellar.toml");

    /// <summary>
    /// The top-level <c>SIGNING_KEY</c>, checked to be an account id. Any failure, of the network, of the document or
    /// of the key, is a <see cref="StellarTomlException"/> whose message names the URL and what went wrong; the time
    /// allowed is the <see cref="HttpClient"/>'s.
    /// </summary>
    public async Task<string> ReadSigningKeyAsync(Uri stellarTomlUrl, CancellationToken cancellationToken)
    {
        var text = await DownloadAsync(stellarTomlUrl, cancellationToken);

        Dictionary<string, object?> document;
        try
        {
            // A dictionary rather than Tomlyn's TomlTable: Tomlyn refuses a duplicated top-level key only when
            // reading into a dictionary, and two SIGNING_KEYs would leave it to chance which one is trusted.
            document = TomlSerializer.Deserialize<Dictionary<string, object?>>(text) ?? [];
        }
        catch (TomlException e)
        {
            throw new StellarTomlException(stellarTomlUrl, $"is not valid TOML: {FirstLine(e.Message)}", e);
        }

        if (!document.TryGetValue("SIGNING_KEY", out var signingKey)) throw new StellarTomlException(stellarTomlUrl, "has no SIGNING_KEY");
        if (signingKey is not string accountId || !StrKey.TryDecodeAccountId(accountId, out _))
            throw new StellarTomlException(stellarTomlUrl, "SIGNING_KEY is not a Stellar account id");
        return accountId;
    }

    private async Task<string> DownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode) throw new StellarTomlException(url, $"answered {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > MaxBytes) throw TooLarge(url);

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
            try
            {
                var length = 0;
                int read;
                while (length <= MaxBytes && (read = await body.ReadAsync(buffer.AsMemory(length, MaxBytes + 1 - length), cancellationToken)) > 0)
                    length += read;
                if (length > MaxBytes) throw TooLarge(url);
                return StrictUtf8.GetString(buffer, 0, length);
            }
            catch (DecoderFallbackException e)
            {
                throw new StellarTomlException(url, "is not valid TOML: it is not UTF-8", e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new StellarTomlException(url, $"could not be reached: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller did not cancel, so HttpClient's own timeout did.
            throw new StellarTomlException(url, $"could not be reached: no answer within {http.Timeout.TotalSeconds:0.###} s", e);
        }
    }

    private static StellarTomlException TooLarge(Uri url) => new(url, $"is larger than {MaxBytes / 1024} KB");

    private static string FirstLine(string message)
    {
        var trimmed = message.AsSpan().Trim();
        var end = trimmed.IndexOfAny('\r', '\n');
        return (end < 0 ? trimmed : trimmed[..end]).ToString();
    }
}
