using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Polly.Timeout;
using Receiver.Auth;

namespace Receiver.Reconciliation;

/// <summary>The Platform API failed a call: unreachable, refused, or answered something that is not its documented JSON.</summary>
internal sealed class PlatformApiException(string message, bool unreachable = false, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Nothing answered (after the retries): no further call of this run would fare better.</summary>
    public bool Unreachable { get; } = unreachable;
}

/// <summary>
/// AP's Platform API, as AP 2.10's platform server serves it (PlatformController) and AP's own PlatformApiClient
/// calls it: <c>GET /transactions</c> answers <c>{"records": [...]}</c>, pages numbered from 0, and
/// <c>GET /transactions/{id}</c> one transaction, both in the shape of an event's <c>payload.transaction</c>.
/// Retries and timeouts are the resilience handler's (see ReconciliationEndpoints); credentials are
/// <see cref="PlatformApiAuthHandler"/>'s.
/// </summary>
internal sealed class PlatformApiClient(HttpClient http)
{
    /// <summary>One page of a SEP's transactions, newest <c>created_at</c> (<c>started_at</c>) first.</summary>
    public async Task<List<JsonElement>> ListAsync(string sep, int pageNumber, int pageSize, CancellationToken cancellationToken)
    {
        // AP's own client sends sep as "6", "24" or "31", and order_by/order in lower case.
        var url = $"transactions?sep={sep}&order_by=created_at&order=desc&page_number={pageNumber}&page_size={pageSize}";
        using var document = await GetJsonAsync(url, cancellationToken)
                             ?? throw new PlatformApiException($"GET /{url} answered 404: is Reconciliation:PlatformApiBaseUrl AP's platform server?");
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
            throw new PlatformApiException($"GET /{url} answered JSON without a \"records\" array.");
        return [.. records.EnumerateArray().Select(record => record.Clone())];
    }

    /// <summary>One transaction, or null when AP does not know it.</summary>
    public async Task<JsonElement?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync($"transactions/{Uri.EscapeDataString(id)}", cancellationToken);
        return document?.RootElement.Clone();
    }

    /// <summary>The parsed answer; null on 404.</summary>
    private async Task<JsonDocument?> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is HttpRequestException ? e.Message : "it did not answer in time (Reconciliation:RequestTimeout)";
            throw new PlatformApiException($"the Platform API at {http.BaseAddress} could not be reached: {reason}", unreachable: true, e);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                throw new PlatformApiException(
                    $"GET /{url} was refused ({(int)response.StatusCode}): Reconciliation:Auth:* must match AP's platform_server.auth.");
            if (!response.IsSuccessStatusCode)
                throw new PlatformApiException($"GET /{url} answered {(int)response.StatusCode}.", unreachable: (int)response.StatusCode >= 500);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            }
            catch (JsonException e)
            {
                throw new PlatformApiException($"GET /{url} answered something that is not JSON ({e.Message}).");
            }
        }
    }
}

/// <summary>
/// Puts AP's platform credentials on every attempt, as AP's AuthHelper.createPlatformServerAuthHeader does: in
/// <c>jwt</c> mode <c>Bearer &lt;token&gt;</c> in the configured header, a fresh HS256 token over the secret's
/// UTF-8 bytes with only <c>iat</c> and <c>exp</c> (PlatformAuthJwt); in <c>api_key</c> mode the secret verbatim.
/// </summary>
internal sealed class PlatformApiAuthHandler(IOptions<ReconciliationOptions> options, TimeProvider clock) : DelegatingHandler
{
    private static readonly JsonWebTokenHandler Tokens = new() { SetDefaultTimesOnTokenCreation = false };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var auth = settings.Auth;
        switch (settings.ParsedAuthType)
        {
            case AuthType.Jwt:
                request.Headers.Remove(auth.Jwt.HttpHeader);
                request.Headers.TryAddWithoutValidation(auth.Jwt.HttpHeader, "Bearer " + Token(auth.Secret!, auth.Jwt.ExpirationMilliseconds));
                break;
            case AuthType.ApiKey:
                request.Headers.Remove(auth.ApiKey.HttpHeader);
                request.Headers.TryAddWithoutValidation(auth.ApiKey.HttpHeader, auth.Secret);
                break;
        }
        return base.SendAsync(request, cancellationToken);
    }

    private string Token(string secret, int expirationMilliseconds)
    {
        // As AP: iat is now in whole seconds, exp iat plus the lifetime.
        var issuedAt = clock.GetUtcNow().ToUnixTimeSeconds();
        return Tokens.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["iat"] = issuedAt, ["exp"] = issuedAt + expirationMilliseconds / 1000 },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });
    }
}
