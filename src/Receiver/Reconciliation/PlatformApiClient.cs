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

/// <summary>A transaction asked for by id: AP's snapshot of it, or why AP gave none.</summary>
internal sealed record PlatformLookup(JsonElement? Transaction, string? Problem)
{
    public static PlatformLookup Found(JsonElement transaction) => new(transaction, null);
    public static PlatformLookup Missing(string problem) => new(null, problem);
}

/// <summary>
/// What reconciliation asks AP's Platform API, over the protocol <c>Reconciliation:Protocol</c> names: REST
/// (<see cref="RestPlatformApi"/>) or JSON-RPC (<see cref="RpcPlatformApi"/>). Both answer transactions in the
/// shape of an event's <c>payload.transaction</c>.
/// </summary>
internal interface IPlatformApi
{
    /// <summary>
    /// One page of a SEP's transactions, pages numbered from 0, newest <c>started_at</c> (AP's <c>created_at</c>)
    /// first; AP breaks ties by id ascending, and its last page is the one shorter than <paramref name="pageSize"/>.
    /// </summary>
    Task<List<JsonElement>> ListAsync(string sep, int pageNumber, int pageSize, CancellationToken cancellationToken);

    Task<PlatformLookup> GetAsync(string id, CancellationToken cancellationToken);
}

/// <summary>
/// The HTTP side of both protocols: one call, its failures turned into <see cref="PlatformApiException"/>s.
/// Retries and timeouts are the resilience handler's (see ReconciliationEndpoints); credentials are
/// <see cref="PlatformApiAuthHandler"/>'s.
/// </summary>
internal sealed class PlatformApiHttp(HttpClient http)
{
    /// <summary>The parsed answer; null on 404. <paramref name="call"/> names the call in messages.</summary>
    public async Task<JsonDocument?> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
                    $"{call} was refused ({(int)response.StatusCode}): Reconciliation:Auth:* must match AP's platform_server.auth.");
            if (!response.IsSuccessStatusCode)
                throw new PlatformApiException($"{call} answered {(int)response.StatusCode}.", unreachable: (int)response.StatusCode >= 500);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            }
            catch (JsonException e)
            {
                throw new PlatformApiException($"{call} answered something that is not JSON ({e.Message}).");
            }
        }
    }

    /// <summary>The <c>records</c> of AP's GetTransactionsResponse, which both protocols answer a listing with.</summary>
    public static List<JsonElement> Records(JsonElement listing, string call)
    {
        if (listing.ValueKind != JsonValueKind.Object
            || !listing.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
            throw new PlatformApiException($"{call} answered JSON without a \"records\" array.");
        return [.. records.EnumerateArray().Select(record => record.Clone())];
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
