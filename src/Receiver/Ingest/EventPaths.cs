namespace Receiver.Ingest;

/// <summary>
/// Where AP posts its events. AP 2.x keeps only scheme, host and port of <c>callback_api.base_url</c> and posts to
/// <c>/event</c> (CallbackApiClient at 2.10.2 and 2.12.0 builds a new URL with the single path segment <c>event</c>).
/// AP 3.0 and later keep the base URL's path and add the segment <c>event</c> to it (CallbackApiClient at 3.1.4 and
/// 4.3.0: <c>newBuilder().addPathSegment("event")</c>, which fills a trailing empty segment rather than adding one, so
/// <c>http://h/callbacks</c> and <c>http://h/callbacks/</c> both give <c>/callbacks/event</c>, and the query string is
/// kept but plays no part in routing). Receiver serves both, so any AP line reaches it with one shared env file.
/// </summary>
internal static class EventPaths
{
    /// <summary>AP's <c>callback_api.base_url</c> (env <c>CALLBACK_API_BASE_URL</c>).</summary>
    public const string BaseUrlKey = "CallbackApi:BaseUrl";

    /// <summary>Ours: the path AP's requests arrive under, when something between AP and Receiver changes it.</summary>
    public const string BasePathKey = "Ingest:BasePath";

    public const string Root = "/event";

    /// <summary>
    /// The paths to serve, <see cref="Root"/> first, from the two settings; <paramref name="error"/> says why the
    /// settings give no path Receiver can serve.
    /// </summary>
    public static IReadOnlyList<string> Resolve(string? baseUrl, string? basePath, out string? error)
    {
        error = null;
        string path;
        if (!string.IsNullOrWhiteSpace(basePath))
        {
            if (!basePath.StartsWith('/'))
            {
                error = $"{BasePathKey} is '{basePath}': it must be a path starting with '/', e.g. /callbacks.";
                return [Root];
            }
            path = basePath;
        }
        else if (!string.IsNullOrWhiteSpace(baseUrl))
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                error = $"{BaseUrlKey} (env CALLBACK_API_BASE_URL) is '{baseUrl}': it must be an absolute http or https URL, " +
                        "as AP's callback_api.base_url, e.g. http://receiver:8081/callbacks.";
                return [Root];
            }
            // The request path arrives decoded; AP sends the path percent-encoded as the URL gives it.
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }
        else
            return [Root];

        // addPathSegment("event") fills the empty last segment a trailing '/' leaves.
        var prefix = path.EndsWith('/') ? path[..^1] : path;
        if (prefix.Length == 0) return [Root];
        if (prefix.Contains("//", StringComparison.Ordinal) || prefix.AsSpan().IndexOfAny('{', '}', '?') >= 0 || prefix.Contains('#'))
        {
            error = $"The events path taken from {(string.IsNullOrWhiteSpace(basePath) ? BaseUrlKey : BasePathKey)} is '{prefix}/event': " +
                    "an empty path segment or one of { } ? # cannot be served; give callback_api.base_url a plain path, e.g. /callbacks.";
            return [Root];
        }
        return [Root, prefix + Root];
    }

    public static IReadOnlyList<string> Resolve(IConfiguration configuration, out string? error) =>
        Resolve(configuration[BaseUrlKey], configuration[BasePathKey], out error);
}
