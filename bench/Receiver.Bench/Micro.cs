using System.Buffers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Receiver.Auth;
using Receiver.Ingest;
using Receiver.Ingest.Validation;

namespace Receiver.Bench;

/// <summary>
/// Micro-benchmarks of the receiver's own work per event before the write (issue 18): parsing and validating an AP
/// event, and checking AP's token, each as the receiver does it, with the time and memory BenchmarkDotNet measures.
/// Arguments after <c>micro</c> go to BenchmarkDotNet (e.g. <c>--filter *Token*</c>, <c>--job short</c>).
/// </summary>
internal static class Micro
{
    public static int Run(string[] args)
    {
        BenchmarkSwitcher.FromTypes(
            [typeof(ParseAndValidateBenchmarks), typeof(CallbackTokenBenchmarks), typeof(QueryApiKeyBenchmarks), typeof(PersonalDataBenchmarks)]).Run(args);
        return 0;
    }

    /// <summary>Personal data as configured by default: nothing dropped at ingest.</summary>
    public static readonly Receiver.PersonalData.PersonalDataFilter DefaultPersonalData =
        new(Options.Create(new Receiver.PersonalData.PersonalDataOptions()));

    /// <summary>
    /// The SEP-31 <c>transaction_status_changed</c> event bench/run posts (bench/lua/ingest.lua), about 1.5 KB: AP's
    /// shape at 2.10–4.x as <c>SizeTraffic</c> and the test corpus derive it from AP's code.
    /// </summary>
    public static byte[] Sep31Event() => Encoding.UTF8.GetBytes(
        File.ReadAllText(Path.Combine(RepositoryRoot(), "bench/lua/ingest.lua"))
            .Split("local template = [[")[1].Split("]]")[0]
            .Replace("%02d", "35").Replace("%06d", "123456")
            .Replace("\"id\":\"%s\",\"type\"", "\"id\":\"7d6c8e7e-6a5b-4f8f-9a51-3f1c2b4d5e6f\",\"type\"")
            .Replace("\"id\":\"%s\"", "\"id\":\"bench-tx-1\""));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Receiver.sln"))) return directory.FullName;
        throw new InvalidOperationException("run from within the repository");
    }
}

/// <summary>What <c>EventIngestor</c> does with a body before it hands a row to the writer: one parse, its validation, the facts.</summary>
[MemoryDiagnoser]
public class ParseAndValidateBenchmarks
{
    private byte[] _body = [];
    private EventValidator _validator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Micro.Sep31Event();
        _validator = new EventValidator(Options.Create(new IngestOptions()));
        using var incoming = IncomingEvent.Parse(_body, _validator, Micro.DefaultPersonalData);
        if (!incoming.IsValid) throw new InvalidOperationException("the bench event is invalid: " + incoming.ErrorsJson());
    }

    [Benchmark]
    public bool ParseAndValidate()
    {
        using var incoming = IncomingEvent.Parse(_body, _validator, Micro.DefaultPersonalData);
        return incoming.IsValid;
    }

    /// <summary>Its parts: the parse alone.</summary>
    [Benchmark]
    public int Parse()
    {
        using var document = JsonDocument.Parse(_body);
        return (int)document.RootElement.ValueKind;
    }

    /// <summary>Its parts: the validators alone, on a body parsed once.</summary>
    [Benchmark]
    public bool Validate() => _validator.Validate(new EventView(_parsed!.RootElement)).IsValid;

    private JsonDocument? _parsed;

    [GlobalSetup(Target = nameof(Validate))]
    public void SetupValidate()
    {
        Setup();
        _parsed = JsonDocument.Parse(_body);
    }
}

/// <summary>
/// <c>POST /event</c>'s authentication of AP's JWT (HS256, <c>iat</c> and <c>exp</c>), through the scheme the receiver's
/// policy names (<c>CallbackAuth</c>): what the authorization middleware authenticates for each request. Not the rest
/// of the authorization middleware or the failed-auth limit after it. AP mints one token string per second, so most requests bear the
/// token the one before did (<see cref="CheckToken"/>, which the receiver does not check again: RecentToken) and the
/// first of each second a new one (<see cref="CheckNewToken"/>).
/// </summary>
[MemoryDiagnoser]
public class CallbackTokenBenchmarks
{
    private const string Secret = "a-secret-of-at-least-32-bytes-for-hs256-0123456789";
    private ServiceProvider _services = null!;
    private string _scheme = "";
    private string _header = "";
    private readonly string[] _newHeaders = ["", ""];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _services = AuthServices(new Dictionary<string, string?>
        {
            [$"{CallbackAuthOptions.Section}:Type"] = "jwt",
            [$"{CallbackAuthOptions.Section}:Secret"] = Secret,
            // AP's tokens live 30 s; this one is minted once and must outlive the run.
            [$"{CallbackAuthOptions.Section}:Jwt:ExpirationMilliseconds"] = "3600000",
        }, services => services.AddCallbackAuth());
        _scheme = PolicyScheme(_services, CallbackAuth.Policy);

        // As AP mints it: HS256 over the secret's UTF-8 bytes, iat and exp only (AuthHelper.createCallbackAuthHeader).
        var now = DateTime.UtcNow;
        _header = Header(now);
        // Two tokens a second apart, taken in turn: neither is the one accepted last.
        _newHeaders[0] = Header(now.AddSeconds(-1));
        _newHeaders[1] = Header(now.AddSeconds(-2));
        foreach (var header in (string[])[_header, .. _newHeaders])
            if (!Authenticate(header).GetAwaiter().GetResult()) throw new InvalidOperationException("the bench token is refused");
    }

    private static string Header(DateTime issuedAt) => "Bearer " + new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
        new SecurityTokenDescriptor
        {
            IssuedAt = issuedAt,
            Expires = issuedAt.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)), SecurityAlgorithms.HmacSha256),
        });

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public async Task<bool> CheckToken() => await Authenticate(_header);

    [Benchmark]
    public async Task<bool> CheckNewToken() => await Authenticate(_newHeaders[_next++ & 1]);

    /// <summary>The request the two above authenticate, without authenticating it: what to take from them for the check's own cost.</summary>
    [Benchmark]
    public async Task<bool> RequestAlone()
    {
        await using var scope = _services.CreateAsyncScope();
        return NewRequest(scope, "Authorization", _header).Request.Headers.Authorization.Count == 1;
    }

    private async Task<bool> Authenticate(string header)
    {
        await using var scope = _services.CreateAsyncScope();
        var result = await NewRequest(scope, "Authorization", header).AuthenticateAsync(_scheme);
        return result.Succeeded && result.Principal is ClaimsPrincipal;
    }

    /// <summary>One API's authentication, as the receiver registers it, with these settings and nothing else.</summary>
    internal static ServiceProvider AuthServices(Dictionary<string, string?> settings, Action<IServiceCollection> addAuth)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production });
        addAuth(services);
        return services.BuildServiceProvider();
    }

    /// <summary>The one scheme the authorization policy <paramref name="policy"/> authenticates with.</summary>
    internal static string PolicyScheme(IServiceProvider services, string policy) =>
        services.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync(policy).GetAwaiter().GetResult()!.AuthenticationSchemes.Single();

    // A scope per request, as ASP.NET Core makes: the handlers are scoped, and a handler keeps its first result.
    internal static DefaultHttpContext NewRequest(AsyncServiceScope scope, string header, string value)
    {
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers[header] = value;
        return context;
    }
}

/// <summary>
/// The query API's authentication of an API key (a client's, with the <c>read</c> scope), through the scheme the
/// receiver's policy names (<c>QueryAuth</c>): what the authorization middleware authenticates for each query.
/// </summary>
[MemoryDiagnoser]
public class QueryApiKeyBenchmarks
{
    private const string Key = "bench-read-key-0123456789";
    private ServiceProvider _services = null!;
    private string _scheme = "";

    [GlobalSetup]
    public void Setup()
    {
        _services = CallbackTokenBenchmarks.AuthServices(new Dictionary<string, string?>
        {
            [$"{QueryAuthOptions.Section}:Type"] = "api_key",
            [$"{QueryAuthOptions.Section}:ApiKey:Keys:0"] = "bench-query-key-0123456789",
            [$"{QueryAuthOptions.Section}:ApiKey:Clients:0:Name"] = "bench-reader",
            [$"{QueryAuthOptions.Section}:ApiKey:Clients:0:Key"] = Key,
            [$"{QueryAuthOptions.Section}:ApiKey:Clients:0:Scopes"] = "read",
        }, services => services.AddQueryAuth());
        _scheme = CallbackTokenBenchmarks.PolicyScheme(_services, QueryAuth.Policy);
        if (!CheckApiKey().GetAwaiter().GetResult()) throw new InvalidOperationException("the bench key is refused");
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public async Task<bool> CheckApiKey()
    {
        await using var scope = _services.CreateAsyncScope();
        var result = await CallbackTokenBenchmarks.NewRequest(scope, "X-Api-Key", Key).AuthenticateAsync(_scheme);
        return result.Succeeded && result.Principal is ClaimsPrincipal;
    }
}

/// <summary>
/// A stored event's payload written to a response as a <c>read</c> caller is shown it (the default paths withheld, as
/// the feed writes it) and as a <c>read:personal</c> caller is (the stored bytes, unread), through the JSON
/// converter the responses use.
/// </summary>
[MemoryDiagnoser]
public class PersonalDataBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private Receiver.Http.RawJson _payload;
    private Receiver.PersonalData.PersonalDataView _reader = null!;
    private Receiver.PersonalData.PersonalDataView _personal = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(Micro.Sep31Event());
        _payload = new Receiver.Http.RawJson(Encoding.UTF8.GetBytes(document.RootElement.GetProperty("payload").GetRawText()));
        _reader = Micro.DefaultPersonalData.For(new ClaimsPrincipal(new ClaimsIdentity()));
        _personal = Micro.DefaultPersonalData.For(new ClaimsPrincipal(new ClaimsIdentity(
            Receiver.Auth.Scopes.Claims("bench", [Receiver.Auth.Scopes.ReadPersonal]), "bench")));
    }

    [Benchmark(Baseline = true)]
    public int WritePersonal() => Write(_personal);

    [Benchmark]
    public int WriteWithheld() => Write(_reader);

    private int Write(Receiver.PersonalData.PersonalDataView view)
    {
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        JsonSerializer.Serialize(writer, view.Show(_payload, Receiver.PersonalData.JsonShape.Payload));
        writer.Flush();
        return _output.WrittenCount;
    }
}

