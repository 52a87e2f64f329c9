using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Receiver.Auth;

/// <summary>Compares a presented key with the secret in constant time, whatever their lengths.</summary>
internal sealed class ApiKeyVerifier(IOptions<CallbackAuthOptions> options)
{
    private readonly byte[] _secretDigest = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Secret ?? ""));

    public bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _secretDigest);
}

/// <summary><c>api_key</c>: AP puts the secret verbatim, with no prefix, in the configured header.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<CallbackAuthOptions> callback, ApiKeyVerifier verifier)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private string Header => callback.Value.ApiKey.HttpHeader;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers[Header];
        if (string.IsNullOrEmpty(presented)) return Task.FromResult(AuthenticateResult.NoResult());
        return Task.FromResult(verifier.Matches(presented)
            ? AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity(authenticationType: "api_key")), Scheme.Name))
            : AuthenticateResult.Fail("The API key is not the configured secret."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message ?? $"Missing API key: send the secret in the {Header} header.";
        await AuthProblem.WriteAsync(Context, "invalid_api_key", detail);
    }
}
