using Npgsql;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Configuration;

/// <summary>The built app as an OS process: AP's environment variables, appsettings.json in its folder, refusing bad settings.</summary>
public class StartupTests
{
    private const string Secret = "startup-secret-0123456789-abcdefghijklmnop";
    private const string QueryKey = "startup-query-key-0123456789";

    // Options are checked before the database is touched, so a refusal needs no server.
    private const string UnusedDatabase = "Host=127.0.0.1;Port=1;Database=never;Username=nobody;Password=none";

    [Fact]
    public async Task Without_an_auth_type_the_app_refuses_to_start_and_names_every_missing_setting()
    {
        await using var app = ReceiverProcess.Start(new Dictionary<string, string> { ["ConnectionStrings__Receiver"] = UnusedDatabase });

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains("Configuration error: CallbackApi:Auth:Type (env CALLBACK_API_AUTH_TYPE) is not set", app.Output);
        // Outside Development the query API needs a credential too.
        Assert.Contains("Configuration error: QueryApi:Auth:ApiKey:Keys and Clients are empty", app.Output);
        Assert.DoesNotContain("   at ", app.Output); // one clear line, no stack trace
    }

    [Theory]
    [InlineData("jwt", "0123456789abcdef0123456789abcde", "at least 32 bytes")] // 31 bytes
    [InlineData("jwt", "", "SECRET_CALLBACK_API_AUTH_SECRET) is not set")]
    [InlineData("api_key", "", "SECRET_CALLBACK_API_AUTH_SECRET) is not set")]
    [InlineData("hmac", Secret, "it must be jwt, api_key or none")]
    public async Task A_bad_auth_setting_stops_the_app_with_a_clear_message(string type, string secret, string message)
    {
        await using var app = ReceiverProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = type,
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = secret,
        });

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains(message, app.Output);
        Assert.DoesNotContain("   at ", app.Output);
    }

    [Theory]
    [InlineData("Ingest__DatabaseTimeout", "00:00:02", "Ingest:DatabaseTimeout is now Database:Timeout")]
    [InlineData("Ingest__RetryAfterSeconds", "7", "Ingest:RetryAfterSeconds is now Database:RetryAfterSeconds")]
    public Task A_database_setting_under_its_old_Ingest_name_stops_the_app_and_names_the_new_one(string name, string value, string message) =>
        ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "api_key",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            ["QueryApi__Auth__Type"] = "none",
            [name] = value,
        }, message);

    /// <summary>A value the binder cannot convert is one more bad setting, reported with the others, not alone as an exception.</summary>
    [Fact]
    public async Task A_value_of_the_wrong_type_is_reported_with_every_other_bad_setting()
    {
        var output = await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["QueryApi__Auth__Type"] = "none",
            ["Feed__HeartbeatSeconds"] = "ten",
            ["Http__InlineScheduling"] = "yes",
        }, "CallbackApi:Auth:Type (env CALLBACK_API_AUTH_TYPE) is not set");

        Assert.Contains("Configuration error: Failed to convert configuration value 'ten' at 'Feed:HeartbeatSeconds'", output);
        Assert.Contains("Configuration error: Failed to convert configuration value 'yes' at 'Http:InlineScheduling'", output);
    }

    [Theory]
    [InlineData("QueryApi__Auth__ApiKey__Keys__0", Secret, "QueryApi:Auth:ApiKey:Keys:0 is AP's callback secret")]
    [InlineData("QueryApi__Auth__ApiKey__Keys__0", "short", "QueryApi:Auth:ApiKey:Keys:0 must be at least 16 characters")]
    [InlineData("QueryApi__Auth__Type", "oauth", "QueryApi:Auth:Type is 'oauth'")]
    public async Task A_bad_query_auth_setting_stops_the_app(string name, string value, string message)
    {
        await using var app = ReceiverProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "api_key",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            [name] = value,
        });

        Assert.Equal(1, await app.WaitForExitAsync());
        Assert.Contains(message, app.Output);
    }

    [Fact]
    public async Task A_token_life_below_a_second_stops_the_app() =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "jwt",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            ["CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS"] = "500",
        }, "CallbackApi:Auth:Jwt:ExpirationMilliseconds (env CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS) must be between 1000 and 31536000000");

    /// <summary>
    /// An unquoted ';' in the password cuts it in two, and Npgsql's own error names the second half as a key: the
    /// refusal says what is wrong without repeating any of the string.
    /// </summary>
    [Theory]
    [InlineData("", "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) is not set")]
    [InlineData("Host=127.0.0.1;Port=1;Username=nobody;Password=left-half;right-half=secret-tail",
        "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) is not a valid Npgsql connection string")]
    [InlineData("Port=1;Username=nobody;Password=left-half", "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) is not a valid Npgsql connection string")]
    public async Task A_missing_or_malformed_connection_string_stops_the_app_in_one_line_that_does_not_repeat_it(
        string connectionString, string message)
    {
        var output = await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = connectionString,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
        }, message);

        Assert.Single(output.Split('\n'), line => line.Contains("Configuration error", StringComparison.Ordinal));
        foreach (var piece in new[] { "left-half", "right-half", "secret-tail" }) Assert.DoesNotContain(piece, output);
    }

    [Theory]
    [InlineData("ConnectionStrings__ReceiverStandby", "Host=127.0.0.1;Port=1;Username=nobody;Password=left-half;right-half=secret-tail",
        "ConnectionStrings:ReceiverStandby (env ConnectionStrings__ReceiverStandby) is not a valid Npgsql connection string")]
    [InlineData("ConnectionStrings__ReceiverStandby", "Host=a,b;Load Balance Hosts=true;Target Session Attributes=prefer-standby",
        "ConnectionStrings:ReceiverStandby (env ConnectionStrings__ReceiverStandby) sets Load Balance Hosts")]
    [InlineData("ConnectionStrings__ReceiverStandby", "Host=127.0.0.1;Port=1;Target Session Attributes=prefer-standby",
        "ConnectionStrings:ReceiverStandby (env ConnectionStrings__ReceiverStandby) sets Target Session Attributes=prefer-standby for one host")]
    [InlineData("Database__Standby__MaxLag", "00:00:00.500", "Database:Standby:MaxLag must be between 00:00:01 and 01:00:00")]
    public async Task A_bad_standby_setting_stops_the_app_in_one_line(string name, string value, string message)
    {
        var output = await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
            [name] = value,
        }, message);

        Assert.Single(output.Split('\n'), line => line.Contains("Configuration error", StringComparison.Ordinal));
        foreach (var piece in new[] { "left-half", "right-half", "secret-tail" }) Assert.DoesNotContain(piece, output);
    }

    /// <summary>
    /// Receiver writes, LISTENs and takes locks through its connection string: with several hosts it must pick the
    /// primary (left out, primary is taken: FailoverTests), and with one host Npgsql takes no such setting at all.
    /// </summary>
    [Theory]
    [InlineData("Host=127.0.0.1:1,127.0.0.1:2;Username=nobody;Password=none;Target Session Attributes=prefer-standby",
        "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) names several hosts with Target Session Attributes=prefer-standby")]
    [InlineData("Host=127.0.0.1:1,127.0.0.1:2;Username=nobody;Password=none;Target Session Attributes=Any",
        "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) names several hosts with Target Session Attributes=any")]
    [InlineData("Host=127.0.0.1;Port=1;Username=nobody;Password=none;Target Session Attributes=primary",
        "ConnectionStrings:Receiver (env ConnectionStrings__Receiver) sets Target Session Attributes=primary for one host")]
    public async Task Target_session_attributes_that_may_not_reach_the_primary_stop_the_app(string connectionString, string message) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = connectionString,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["QueryApi__Auth__Type"] = "none",
        }, message);

    /// <summary>
    /// Every write of events calls pg_logical_emit_message (EventStore.WriteToWal). A role that may not call it would
    /// have every event answered 503 for ever; the app says so at start instead. A database owned by a role of its own,
    /// with the call revoked from PUBLIC there (function privileges are per database; the superuser bypasses them).
    /// </summary>
    [Fact]
    public async Task A_role_that_may_not_write_the_WAL_record_stops_the_app_with_the_grant_to_give()
    {
        var database = TestPostgres.NewDatabaseConnectionString("receiver_no_wal");
        var settings = new NpgsqlConnectionStringBuilder(database);
        var role = $"r_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Database = "postgres" }.ConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand($"CREATE ROLE {role} LOGIN PASSWORD 'pw'", admin).ExecuteNonQueryAsync();
            await new NpgsqlCommand($"CREATE DATABASE \"{settings.Database}\" OWNER {role}", admin).ExecuteNonQueryAsync();
        }
        try
        {
            await using (var owner = new NpgsqlConnection(database))
            {
                await owner.OpenAsync();
                await new NpgsqlCommand("REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC", owner).ExecuteNonQueryAsync();
            }
            await using var app = ReceiverProcess.Start(new Dictionary<string, string>
            {
                ["ConnectionStrings__Receiver"] = new NpgsqlConnectionStringBuilder(database) { Username = role, Password = "pw" }.ConnectionString,
                ["CALLBACK_API_AUTH_TYPE"] = "none",
                ["QueryApi__Auth__Type"] = "none",
            });
            Assert.Equal(1, await app.WaitForExitAsync());
            Assert.Contains("Database error: the role of ConnectionStrings:Receiver may not call pg_logical_emit_message", app.Output);
            Assert.Contains("GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text)", app.Output);
            Assert.DoesNotContain("   at ", app.Output);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
            await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Database = "postgres" }.ConnectionString);
            await admin.OpenAsync();
            await new NpgsqlCommand($"DROP ROLE IF EXISTS {role}", admin).ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Api_key_auth_configured_with_AP_variable_names_guards_the_event() =>
        await WithRunningAppAsync(new Dictionary<string, string>
        {
            ["CALLBACK_API_AUTH_TYPE"] = "api_key",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            ["CALLBACK_API_AUTH_API_KEY_HTTP_HEADER"] = "X-Anchor-Key",
        }, async http =>
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "X-Anchor-Key", Secret)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "X-Api-Key", Secret)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(http, "X-Api-Key", Secret + "x")).StatusCode);
        });

    [Fact]
    public async Task AP_3_addressing_from_the_shared_env_file_is_served_and_logged_at_start() =>
        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            // One env file for AP 3.x and Receiver: AP posts to base_url + /event, the key always in X-Api-Key.
            ["CALLBACK_API_BASE_URL"] = "http://receiver:8081/callbacks/",
            ["CALLBACK_API_AUTH_TYPE"] = "api_key",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            ["CALLBACK_API_AUTH_API_KEY_HTTP_HEADER"] = "X-Anchor-Key",
            ["QueryApi__Auth__ApiKey__Keys__0"] = QueryKey,
        }, async (app, http) =>
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "X-Api-Key", Secret, "/callbacks/event")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "X-Anchor-Key", Secret)).StatusCode);
            Assert.Contains("Receiving Anchor Platform events at POST /event and POST /callbacks/event.", app.Output);
        });

    [Theory]
    [InlineData("receiver:8081/callbacks",
        "CallbackApi:BaseUrl (env CALLBACK_API_BASE_URL) is 'receiver:8081/callbacks': it must be an absolute http or https URL")]
    [InlineData("http://receiver:8081/callbacks//v1",
        "The events path taken from CallbackApi:BaseUrl is '/callbacks//v1/event': an empty path segment")]
    public async Task A_base_url_that_gives_no_servable_path_stops_the_app(string baseUrl, string message) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["CALLBACK_API_BASE_URL"] = baseUrl,
        }, message);

    [Theory]
    [InlineData("Wallet__Anchors__0__HomeDomain", "bad domain", "Wallet:Anchors:0:HomeDomain must be a host name")]
    [InlineData("Wallet__Anchors__0__HomeDomain", "https://anchor.example", "Wallet:Anchors:0:HomeDomain must be a host name")]
    [InlineData("Wallet__Anchors__0__StellarTomlUrl", "http://anchor.example/.well-known/stellar.toml", "Wallet:Anchors:0:StellarTomlUrl must be an absolute https URL (http only on loopback)")]
    [InlineData("Wallet__Anchors__0__CallbackHost", "wället.example", "Wallet:Anchors:0:CallbackHost and CallbackUrl must be written in ASCII")]
    public async Task A_wallet_anchor_whose_key_could_be_read_from_the_wrong_place_or_never_verified_stops_the_app(
        string variable, string value, string message) =>
        await ReceiverProcess.AssertRefusesAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Receiver"] = UnusedDatabase,
            ["CALLBACK_API_AUTH_TYPE"] = "none",
            ["Wallet__Anchors__0__Name"] = "testanchor",
            ["Wallet__Anchors__0__HomeDomain"] = "testanchor.stellar.org",
            ["Wallet__Anchors__0__CallbackHost"] = "wallet.example.com",
            [variable] = value,
        }, message);

    [Fact]
    public async Task Jwt_auth_configured_with_dotnet_names_reads_the_bearer_token_from_a_custom_header() =>
        await WithRunningAppAsync(new Dictionary<string, string>
        {
            ["CallbackApi__Auth__Type"] = "jwt",
            ["CallbackApi__Auth__Secret"] = Secret,
            ["CallbackApi__Auth__Jwt__HttpHeader"] = "X-Anchor-Token",
        }, async http =>
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "X-Anchor-Token", "Bearer " + ApToken.Mint(Secret))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(http, "Authorization", "Bearer " + ApToken.Mint(Secret))).StatusCode);
        });

    [Fact]
    public async Task The_token_life_AP_is_configured_with_is_read_from_its_own_variable() =>
        await WithRunningAppAsync(new Dictionary<string, string>
        {
            ["CALLBACK_API_AUTH_TYPE"] = "jwt",
            ["SECRET_CALLBACK_API_AUTH_SECRET"] = Secret,
            ["CALLBACK_API_AUTH_JWT_EXPIRATION_MILLISECONDS"] = "120000",
        }, async http =>
        {
            var now = DateTimeOffset.UtcNow;
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "Authorization", "Bearer " + ApToken.Mint(Secret, now, TimeSpan.FromSeconds(120)))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(http, "Authorization", "Bearer " + ApToken.Mint(Secret, now, TimeSpan.FromSeconds(122)))).StatusCode);
        });

    /// <summary>Runs the app as a process with these settings (plus a database and a query key of its own), then <paramref name="act"/>.</summary>
    private static Task WithRunningAppAsync(Dictionary<string, string> settings, Func<HttpClient, Task> act)
    {
        settings["QueryApi__Auth__ApiKey__Keys__0"] = QueryKey;
        return ReceiverProcess.RunOnOwnDatabaseAsync(settings, (_, http) => act(http));
    }

    [Fact]
    public async Task A_published_app_reads_appsettings_json_from_its_folder_and_none_is_a_logged_choice()
    {
        // The layout of `dotnet publish -o out && cd out && dotnet Receiver.dll`: settings only in out/appsettings.json.
        var folder = Directory.CreateTempSubdirectory("receiver-settings.");
        var database = TestPostgres.NewDatabaseConnectionString();
        var port = ReceiverProcess.FreePort();
        try
        {
            var settings = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
            settings["Urls"] = $"http://127.0.0.1:{port}";
            settings["ConnectionStrings"] = new JsonObject { ["Receiver"] = database };
            settings["CallbackApi"] = new JsonObject { ["Auth"] = new JsonObject { ["Type"] = "none" } };
            settings["QueryApi"] = new JsonObject { ["Auth"] = new JsonObject { ["Type"] = "none" } };
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "appsettings.json"), settings.ToJsonString());

            await using var app = ReceiverProcess.Start(new Dictionary<string, string>(), workingDirectory: folder.FullName);
            await app.WaitUntilListeningAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, null, null)).StatusCode);
            Assert.Contains("CallbackApi:Auth:Type is none", app.Output);
            Assert.Contains("QueryApi:Auth:Type is none", app.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string? header, string? value, string path = "/event")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(ApEvents.CustomerUpdated().ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        return await http.SendAsync(request);
    }
}
