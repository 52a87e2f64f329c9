using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Reconciliation;

/// <summary>Reconciliation's settings, under AP's own variable names too, are checked at start like every other.</summary>
public sealed class ReconciliationSettingsTests
{
    // Options are checked before the database is touched, so a refusal needs no server.
    private static readonly Dictionary<string, string> Valid = new()
    {
        ["ConnectionStrings__Receiver"] = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none",
        ["CALLBACK_API_AUTH_TYPE"] = "api_key",
        ["SECRET_CALLBACK_API_AUTH_SECRET"] = "callback-secret-0123456789-abcdefghijklmn",
        ["QueryApi__Auth__ApiKey__Keys__0"] = "settings-query-key-0123456789",
        ["PLATFORM_API_BASE_URL"] = "http://platform:8085",
        ["PLATFORM_API_AUTH_TYPE"] = "jwt",
        ["SECRET_PLATFORM_API_AUTH_SECRET"] = FakePlatformApi.Secret,
    };

    [Theory]
    [InlineData("PLATFORM_API_BASE_URL", "platform:8085", "Reconciliation:PlatformApiBaseUrl (env PLATFORM_API_BASE_URL) is 'platform:8085'")]
    [InlineData("PLATFORM_API_BASE_URL", "ftp://platform", "Reconciliation:PlatformApiBaseUrl (env PLATFORM_API_BASE_URL) is 'ftp://platform': it must be an absolute http:// or https:// URL")]
    [InlineData("PLATFORM_API_AUTH_TYPE", "oauth", "Reconciliation:Auth:Type (env PLATFORM_API_AUTH_TYPE) is 'oauth'")]
    [InlineData("SECRET_PLATFORM_API_AUTH_SECRET", "0123456789abcdef0123456789abcde", "Reconciliation:Auth:Secret (env SECRET_PLATFORM_API_AUTH_SECRET) is too weak")]
    [InlineData("PLATFORM_API_AUTH_JWT_EXPIRATION_MILLISECONDS", "1000", "Reconciliation:Auth:Jwt:ExpirationMilliseconds must be between 5000")]
    [InlineData("Reconciliation__Interval", "-00:01:00", "Reconciliation:Interval must be between 00:00:00")]
    [InlineData("Reconciliation__Lookback", "00:00:00", "Reconciliation:Lookback must be more than 0")]
    [InlineData("Reconciliation__PageSize", "0", "Reconciliation:PageSize must be between 1 and 1000")]
    [InlineData("Reconciliation__RequestTimeout", "00:00:00", "Reconciliation:RequestTimeout must be more than 0")]
    [InlineData("Reconciliation__Protocol", "grpc", "Reconciliation:Protocol is 'grpc': it must be rest (GET /transactions, every AP line) or rpc")]
    public Task A_bad_reconciliation_setting_stops_the_app_with_a_clear_message(string name, string value, string message) =>
        ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>(Valid) { [name] = value }, message);

    [Fact]
    public async Task A_Platform_API_without_an_auth_type_stops_the_app()
    {
        var settings = new Dictionary<string, string>(Valid);
        settings.Remove("PLATFORM_API_AUTH_TYPE");
        await using var app = ReceiverProcess.Start(settings);

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains("Configuration error: Reconciliation:Auth:Type (env PLATFORM_API_AUTH_TYPE) is not set", app.Output);
    }
}
