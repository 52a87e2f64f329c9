using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// Mints callback tokens byte for byte as AP 2.10 does (jjwt: header {"alg":"HS256"}, claims iat and exp in
/// seconds, HMAC over the secret's UTF-8 bytes), and every deviation a test needs.
/// </summary>
public static class ApToken
{
    public static string Mint(string secret, DateTimeOffset? issuedAt = null, TimeSpan? lifetime = null) =>
        Build(Header(), Claims(issuedAt ?? DateTimeOffset.UtcNow, lifetime ?? TimeSpan.FromSeconds(30)), secret);

    public static JsonObject Header(string alg = "HS256") => new() { ["alg"] = alg };

    public static JsonObject Claims(DateTimeOffset issuedAt, TimeSpan lifetime) => new()
    {
        ["iat"] = issuedAt.ToUnixTimeSeconds(),
        ["exp"] = (issuedAt + lifetime).ToUnixTimeSeconds(),
    };

    /// <summary>Signs header.claims with the HMAC its <c>alg</c> names, or leaves it unsigned for <c>none</c>.</summary>
    public static string Build(JsonObject header, JsonObject claims, string secret)
    {
        var signingInput = Encode(header) + "." + Encode(claims);
        var key = Encoding.UTF8.GetBytes(secret);
        var data = Encoding.ASCII.GetBytes(signingInput);
        byte[] signature = (string?)header["alg"] switch
        {
            "HS256" => HMACSHA256.HashData(key, data),
            "HS384" => HMACSHA384.HashData(key, data),
            "HS512" => HMACSHA512.HashData(key, data),
            "none" => [],
            var alg => throw new ArgumentException($"unsupported alg {alg}"),
        };
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    public static string SignRs256(JsonObject claims, RSA key, JsonObject? header = null)
    {
        var signingInput = Encode(header ?? Header("RS256")) + "." + Encode(claims);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    private static string Encode(JsonObject part) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(part.ToJsonString()));
}
