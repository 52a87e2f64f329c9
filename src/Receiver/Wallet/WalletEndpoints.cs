using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Receiver.Configuration;
using Receiver.Http;
using Receiver.Ingest;
using Receiver.PersonalData;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Wallet;

/// <summary>
/// The wallet's side of AP's event service: the status callbacks an anchor sends for a wallet's SEP-6, 24 and 31
/// transactions and its SEP-12 customers, signed with the anchor's SEP-10 key. Each is verified before anything else,
/// then stored, keyed and followed as an event of that anchor (<see cref="EventSources.Callback"/>).
/// </summary>
public static partial class WalletEndpoints
{
    /// <summary>AP's header (<c>Signature: t=..., s=...</c>), and the one anchors on older SEP versions sent.</summary>
    private static readonly string[] SignatureHeaders = ["Signature", "X-Stellar-Signature"];

    public static IServiceCollection AddWallet(this IServiceCollection services)
    {
        services.AddValidatedOptions<WalletOptions, WalletOptionsValidator>(WalletOptions.Section);
        services.AddHttpClient<StellarTomlReader>(http => http.Timeout = TimeSpan.FromSeconds(10));
        services.AddInstruments<WalletMetrics>();
        services.AddSingleton<CallbackIngestor>();
        services.AddSingleton<AnchorSigningKeys>();
        services.AddHostedService(provider => provider.GetRequiredService<AnchorSigningKeys>());
        return services;
    }

    /// <summary>
    /// <c>POST {Wallet:CallbackPath}/{anchor}/{sep}</c>, <c>sep</c> one of <c>sep6</c>, <c>sep24</c>, <c>sep31</c>,
    /// <c>sep12</c>: the URL to give the anchor (SEP-6 and SEP-24's <c>on_change_callback</c>, SEP-12's
    /// <c>PUT /customer/callback</c>, AP's <c>clients[].callback_urls</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapWallet(this IEndpointRouteBuilder routes)
    {
        // Read from configuration, not the validated options: a bad value is reported with the others at start.
        var path = routes.ServiceProvider.GetRequiredService<IConfiguration>()
            .GetSection(WalletOptions.Section).GetValue<string>(nameof(WalletOptions.CallbackPath)) ?? new WalletOptions().CallbackPath;
        routes.MapPost($"{path}/{{anchor}}/{{sep:regex(^sep(6|24|31|12)$)}}", ReceiveAsync)
            .WithName("PostWalletCallback")
            .WithTags("Wallet")
            .WithSummary("Receive an anchor's signed status callback (wallet mode)")
            .WithMetadata(new ReadsJsonBody())
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }

    private static async Task<Results<Ok, ValidationProblem, ProblemHttpResult>> ReceiveAsync(
        string anchor, string sep, HttpContext context, AnchorSigningKeys keys, CallbackIngestor ingestor,
        IOptions<WalletOptions> options, IOptions<IngestOptions> ingest, IOptions<DatabaseOptions> database, PersonalDataFilter personalData,
        TimeProvider clock, WalletMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(WalletEndpoints));
        if (options.Value.Anchors.FirstOrDefault(candidate => candidate.Name == anchor) is not { } settings)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
                detail: $"No anchor named '{anchor}' is configured (Wallet:Anchors).");
        var sepNumber = CallbackSeps.All.Single(known => known.Segment == sep).Sep;
        var request = context.Request;
        var (body, unreadable) = await RequestBody.ReadJsonAsync(request, (int)ingest.Value.MaxBodyBytes, cancellationToken);
        if (unreadable is not null) return unreadable;

        var now = clock.GetUtcNow();
        var verified = await VerifyAsync(request, body!, settings, keys, now, cancellationToken);
        if (verified.Problem is { } problem)
        {
            LogRefused(logger, anchor, problem);
            metrics.Received(anchor, sepNumber, verified.Unavailable ? CallbackOutcomes.Unavailable : CallbackOutcomes.Unverified);
            return verified.Unavailable
                ? HttpApi.DatabaseUnavailable(context, database.Value, problem)
                : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: problem,
                    extensions: new Dictionary<string, object?> { ["error"] = "invalid_signature" });
        }

        var callback = IncomingCallback.Parse(body!, anchor, sepNumber, verified.SignedAt, now, personalData);
        IngestOutcome? outcome = null;
        if (callback.Row is { } row)
        {
            try
            {
                outcome = await ingestor.IngestAsync(callback, row, cancellationToken);
            }
            catch (DatabaseUnavailableException e)
            {
                metrics.Received(anchor, sepNumber, CallbackOutcomes.Unavailable);
                return HttpApi.DatabaseUnavailable(context, database.Value, $"{e.Message} Send the callback again.");
            }
        }
        if (outcome is null or { Result: IngestResult.Rejected })
        {
            // Signed by the anchor, so worth a line: AP drops it after three attempts, and nothing else keeps it.
            var errors = outcome?.Errors ?? callback.Errors;
            var detail = string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}"));
            LogInvalid(logger, anchor, LogText.Escape(string.Join(", ", errors.Keys)));
            metrics.Received(anchor, sepNumber, CallbackOutcomes.Invalid);
            return TypedResults.ValidationProblem(errors, title: "Invalid callback", detail: $"The callback is invalid: {detail}.");
        }
        metrics.Received(anchor, sepNumber, outcome.Result.Name());
        return TypedResults.Ok();
    }

    /// <summary>What checking a callback's signature found: when it was signed, or why it is refused.</summary>
    private readonly record struct Verification(DateTimeOffset SignedAt, string? Problem, bool Unavailable = false);

    /// <summary>
    /// The signature over <c>t.host.body</c>, with the host the anchor was given (never the request's Host header, which
    /// a proxy may change), the body's exact bytes, a <c>t</c> within the clock skew either way, and a key the anchor
    /// signs with now or signed with until a rotation's grace ends. A key unknown because its stellar.toml cannot be
    /// read is the receiver's trouble, not the callback's: 503, so that AP tries again.
    /// </summary>
    private static async Task<Verification> VerifyAsync(
        HttpRequest request, byte[] body, WalletAnchor anchor, AnchorSigningKeys keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var header = SignatureHeaders.Select(name => request.Headers[name].ToString()).FirstOrDefault(value => value.Length > 0);
        if (header is null) return new(default, "The callback has no Signature header: an anchor signs every callback (t=<unix seconds>, s=<base64 Ed25519 signature>).");
        if (!CallbackSignatureHeader.TryParse(header, out var signature, out var malformed)) return new(default, $"The Signature header is malformed: {malformed}.");

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Min(signature.Timestamp, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        var drift = now - signedAt;
        if (drift.Duration() > anchor.ClockSkew)
            return new(signedAt, drift > TimeSpan.Zero
                ? $"The signature's time t={signature.Timestamp} is {drift.TotalSeconds:F0} s old; at most {anchor.ClockSkew.TotalSeconds:F0} s is accepted (Wallet:Anchors ClockSkew)."
                : $"The signature's time t={signature.Timestamp} is {-drift.TotalSeconds:F0} s ahead of this receiver's clock; at most {anchor.ClockSkew.TotalSeconds:F0} s is accepted.");

        var known = await keys.KeysAsync(anchor.Name, cancellationToken);
        if (!known.IsKnown)
            return new(signedAt, $"The signing key of anchor '{anchor.Name}' is not known yet: {known.Problem}. Send the callback again later.", Unavailable: true);
        if (Verifies(known, now) || (await keys.NewerKeysAsync(anchor.Name, known, cancellationToken) is { } newer && Verifies(newer, now)))
            return new(signedAt, null);
        return new(signedAt,
            $"The signature does not verify with the signing key of anchor '{anchor.Name}' ({string.Join(" or ", known.VerifyingAt(now).Select(key => key.AccountId))}) " +
            $"over t.host.body with host '{anchor.SignedHost}' (Wallet:Anchors CallbackHost or CallbackUrl: the host of the callback URL the anchor was given, with its port if it names one).");

        bool Verifies(AnchorKeys candidates, DateTimeOffset at) =>
            candidates.VerifyingAt(at).Any(key =>
                CallbackSignature.Verify(key.PublicKey, signature.Timestamp, anchor.SignedHost, body, signature.Signature)
                || (AsciiSigned(body) is { } folded
                    && CallbackSignature.Verify(key.PublicKey, signature.Timestamp, anchor.SignedHost, folded, signature.Signature)));
    }

    /// <summary>
    /// The body as AP signs it when its JVM's default charset is US-ASCII (JDK 17 without a UTF-8 locale, as in AP's
    /// own image: ClientStatusCallbackHandler@4.3.0 signs <c>String.getBytes()</c>), each character outside ASCII, a
    /// surrogate pair counting as one, written as '?'; null for a body all ASCII, which both charsets sign alike. The
    /// body stored is still the one received.
    /// </summary>
    internal static byte[]? AsciiSigned(ReadOnlySpan<byte> body)
    {
        if (System.Text.Ascii.IsValid(body)) return null;
        var folded = new List<byte>(body.Length);
        foreach (var rune in System.Text.Encoding.UTF8.GetString(body).EnumerateRunes())
            folded.Add(rune.IsAscii ? (byte)rune.Value : (byte)'?');
        return [.. folded];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback of anchor {Anchor} verified but refused as invalid at {InvalidPaths}")]
    private static partial void LogInvalid(ILogger logger, string anchor, string invalidPaths);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for anchor {Anchor} refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string anchor, string problem);
}
