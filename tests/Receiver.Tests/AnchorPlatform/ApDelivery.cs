using System.Net.Http.Headers;
using System.Text;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>
/// An AP line's event processor and a Receiver configured from one shared env file (AP's <c>callback_api.*</c>
/// settings), and the requests that AP line makes with it: its path, its headers, its token.
/// </summary>
/// <param name="AuthType">AP's <c>callback_api.auth.type</c>: <c>jwt</c>, <c>api_key</c> or <c>none</c>.</param>
/// <param name="BaseUrl">AP's <c>callback_api.base_url</c> (env <c>CALLBACK_API_BASE_URL</c>).</param>
/// <param name="JwtHeader">AP's <c>callback_api.auth.jwt.http_header</c>; AP's default when null.</param>
/// <param name="ApiKeyHeader">AP's <c>callback_api.auth.api_key.http_header</c>; AP's default when null.</param>
public sealed record ApDelivery(ApLine Line, string AuthType, string BaseUrl, string? JwtHeader = null, string? ApiKeyHeader = null)
{
    // AP refuses a JWT secret under 32 bytes (KeyUtil@4.3.0), so the shared env file holds one at least that long.
    private const string Secret = "shared-env-callback-secret-0123456789abcdef";

    /// <summary>AP's default <c>callback_api.auth.jwt.expiration_milliseconds</c> (anchor-config-default-values.yaml@2.12.0/@4.3.0).</summary>
    private const long ExpirationMilliseconds = 30_000;

    public override string ToString() =>
        $"{Line} {AuthType} {BaseUrl}{(JwtHeader is null ? "" : " jwt header " + JwtHeader)}{(ApiKeyHeader is null ? "" : " api key header " + ApiKeyHeader)}";

    /// <summary>The settings Receiver reads from the env file AP is configured with.</summary>
    public IReadOnlyDictionary<string, string?> ReceiverSettings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["CallbackApi:BaseUrl"] = BaseUrl,
                ["CallbackApi:Auth:Type"] = AuthType,
                ["CallbackApi:Auth:Secret"] = Secret,
            };
            if (JwtHeader is not null) settings["CallbackApi:Auth:Jwt:HttpHeader"] = JwtHeader;
            if (ApiKeyHeader is not null) settings["CallbackApi:Auth:ApiKey:HttpHeader"] = ApiKeyHeader;
            return settings;
        }
    }

    /// <summary>
    /// One send attempt as CallbackApiClient does it at the line's tag: POST to <see cref="ApLine.EventPath"/>, the body
    /// as OkHttpUtil's <c>application/json; charset=utf-8</c> (OkHttp lets the body's media type win over the builder's
    /// <c>Content-Type: application/json</c>, BaseApiClient@2.12.0/@4.3.0), and the auth header AuthHelper creates
    /// afresh for each attempt.
    /// </summary>
    public HttpRequestMessage Request(string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Line.EventPath(BaseUrl))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        // What OkHttp 4.9.3 (2.12.0) and 4.12.0 (3.1.4, 4.3.0) add by themselves (gradle/libs.versions.toml).
        request.Headers.TryAddWithoutValidation("User-Agent", Line == ApLine.V2 ? "okhttp/4.9.3" : "okhttp/4.12.0");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        switch (AuthType)
        {
            case "jwt":
                // AuthHelper@2.12.0/@3.1.4/@4.3.0 createJwt: iat = now in ms / 1000, exp = iat + expiration ms / 1000;
                // JwtService encodes an ApiAuthJwt with issuedAt and expiration only, HS256, header {"alg":"HS256"}.
                var issuedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000);
                var token = ApToken.Mint(Secret, issuedAt, TimeSpan.FromSeconds(ExpirationMilliseconds / 1000));
                request.Headers.TryAddWithoutValidation(JwtHeader ?? "Authorization", "Bearer " + token);
                break;
            case "api_key":
                request.Headers.TryAddWithoutValidation(Line.ApiKeyHeader(ApiKeyHeader ?? "X-Api-Key"), Secret);
                break;
        }
        return request;
    }
}
