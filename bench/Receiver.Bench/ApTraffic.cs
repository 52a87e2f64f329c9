using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Receiver.Bench;

/// <summary>AP-style requests: a fresh HS256 token per call (claims iat and exp only), and realistic bodies.</summary>
internal static class ApTraffic
{
    public static string Token(string secret)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signingInput = Base64Url("""{"alg":"HS256"}""") + "." + Base64Url($$"""{"iat":{{now}},"exp":{{now + 30}}}""");
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>A SEP-31 transaction_status_changed of about 1.5 KB, as AP 2.10 sends it.</summary>
    public static string Sep31Event(string eventId, string transactionId, DateTimeOffset updatedAt) => Sep31Template
        .Replace("@EVENT_ID@", eventId).Replace("@TRANSACTION_ID@", transactionId)
        .Replace("@TIMESTAMP@", Instant(DateTimeOffset.UtcNow)).Replace("@UPDATED_AT@", Instant(updatedAt));

    private static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private const string Sep31Template =
        """
        {"id":"@EVENT_ID@","type":"transaction_status_changed","timestamp":"@TIMESTAMP@","payload":{"transaction":{"id":"@TRANSACTION_ID@","sep":"31","kind":"receive","status":"pending_receiver","amount_expected":{"amount":"10","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"amount_in":{"amount":"10","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"amount_out":{},"amount_fee":{"amount":"0.3","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"fee_details":{"total":"0.3","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP","details":[{"name":"Service fee","amount":"0.3"}]},"started_at":"2024-06-25T20:33:17.013738Z","updated_at":"@UPDATED_AT@","transfer_received_at":"2024-06-25T20:34:59Z","message":"funds received","stellar_transactions":[{"id":"2b862ac297c93e2db43fc58d407cc477396212bce5e6d5f61789f963d5a11300","memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","memo_type":"hash","created_at":"2024-06-25T20:34:58Z","envelope":"AAAAAgAAAAB...","payments":[{"id":"12884905985","amount":{"amount":"10.0000000","asset":"USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"payment_type":"payment","source_account":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","destination_account":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF"}]}],"client_name":"referenceCustodial","customers":{"sender":{"id":"6c1770b0-0ea4-46f8-a4b6-5fb3e3a0b6f1"},"receiver":{"id":"31212353-f265-4dba-9eb4-0bbeda3ba7f2"}},"creator":{"account":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}}}
        """;

    public static HttpRequestMessage Post(string secret, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/event") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(secret));
        return request;
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
