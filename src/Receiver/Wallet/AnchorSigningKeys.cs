using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Receiver.Storage;

namespace Receiver.Wallet;

/// <summary>
/// The keys each anchor's callbacks may be signed with: the one configured (<see cref="WalletAnchor.SigningKey"/>), or
/// the <c>SIGNING_KEY</c> of its stellar.toml, read at start (or when first needed) and again every
/// <see cref="WalletAnchor.SigningKeyRefresh"/>. A key the toml stops naming keeps verifying for
/// <see cref="WalletAnchor.RotationGrace"/>, so callbacks AP signed just before the anchor rotated are not refused. A
/// toml that cannot be read leaves the keys read before in place: a failed read never loses a key, and the key read
/// last is kept in the database (<see cref="ReceiverKeys"/>) for an instance that starts while it fails.
/// </summary>
internal sealed partial class AnchorSigningKeys(
    IOptions<WalletOptions> options, StellarTomlReader reader, ReceiverKeys kept, TimeProvider clock,
    ILogger<AnchorSigningKeys> logger) : BackgroundService
{
    /// <summary>
    /// The least time between two reads of one toml that the schedule did not ask for, once a key is known (a signature
    /// that verifies with none asks for one).
    /// </summary>
    internal static readonly TimeSpan ReadAgainAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The same while no key is known: AP tries a callback three times a second or two apart, and one that finds no
    /// key each time is lost, so each attempt may read it; not each of a flood of requests.
    /// </summary>
    internal static readonly TimeSpan ReadAgainWithoutKeyAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Anchor> _anchors = new(
        options.Value.Anchors.Select(anchor => KeyValuePair.Create(anchor.Name, new Anchor(anchor))), StringComparer.Ordinal);

    /// <summary>
    /// The keys a callback of <paramref name="anchor"/> may be signed with, newest first; none, with the reason, while
    /// no key was ever read. Reads the toml now when it has no key yet.
    /// </summary>
    public async Task<AnchorKeys> KeysAsync(string anchor, CancellationToken cancellationToken)
    {
        var state = _anchors[anchor];
        if (!state.Keys.IsKnown) await ReadAsync(state, scheduled: false, cancellationToken);
        return state.Keys;
    }

    /// <summary>
    /// Keys newer than <paramref name="seen"/>, those a signature verified with none of: another request may have read
    /// them since, else the toml is read again (at most once per <see cref="ReadAgainAfter"/>), as the anchor may have
    /// rotated. Null when there are none.
    /// </summary>
    public async Task<AnchorKeys?> NewerKeysAsync(string anchor, AnchorKeys seen, CancellationToken cancellationToken)
    {
        var state = _anchors[anchor];
        if (ReferenceEquals(state.Keys.All, seen.All)) await ReadAsync(state, scheduled: false, cancellationToken);
        var now = state.Keys;
        return !ReferenceEquals(now.All, seen.All) && now.IsKnown ? now : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var fromToml = _anchors.Values.Where(anchor => anchor.Settings.SigningKey is null).ToList();
        if (fromToml.Count == 0) return;
        using var timer = new PeriodicTimer(fromToml.Min(anchor => anchor.Settings.SigningKeyRefresh), clock);
        do
        {
            foreach (var anchor in fromToml)
            {
                if (clock.GetUtcNow() - anchor.ReadAt < anchor.Settings.SigningKeyRefresh) continue;
                // A failure of one anchor's read is that anchor's (logged, its keys kept): it never stops the others,
                // nor the host, as an exception out of a background service would.
                try
                {
                    await ReadAsync(anchor, scheduled: true, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogUnread(logger, anchor.Settings.Name, e.Message, "the keys read before still verify");
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ReadAsync(Anchor anchor, bool scheduled, CancellationToken cancellationToken)
    {
        if (anchor.Settings.SigningKey is not null || anchor.Settings.TomlUrl is not { } url) return;
        await anchor.Reading.WaitAsync(cancellationToken);
        try
        {
            if (!scheduled && clock.GetUtcNow() - anchor.ReadAt < (anchor.Keys.IsKnown ? ReadAgainAfter : ReadAgainWithoutKeyAfter)) return;
            string signingKey;
            try
            {
                signingKey = await reader.ReadSigningKeyAsync(url, cancellationToken);
            }
            catch (StellarTomlException e)
            {
                anchor.ReadAt = clock.GetUtcNow();
                anchor.Keys = anchor.Keys.IsKnown
                    ? anchor.Keys with { Problem = e.Message }
                    : await RecallAsync(anchor.Settings.Name, cancellationToken) is { } recalled
                        ? new AnchorKeys([new SigningKey(anchor.Remembered = StrKey.EncodeAccountId(recalled), recalled, Until: null)], e.Message)
                        : new AnchorKeys([], e.Message);
                LogUnread(logger, anchor.Settings.Name, e.Message, anchor.Keys.IsKnown ? "the key read before still verifies" : "its callbacks are refused until it is read");
                return;
            }
            var now = clock.GetUtcNow();
            anchor.ReadAt = now;
            StrKey.TryDecodeAccountId(signingKey, out var key);
            anchor.Keys = anchor.Keys.With(signingKey, key, now, anchor.Settings.RotationGrace);
        }
        finally
        {
            anchor.Reading.Release();
        }
        await RememberAsync(anchor);
    }

    /// <summary>
    /// Keeps the key the toml names now in the database, after any read that found a key not kept yet: one that could
    /// not be written is written after the next read. Outside the read's lock, so a slow database holds no caller
    /// that waits for the anchor's keys; its own lock keeps two writes in order. Not the request's to cancel: the
    /// database's own timeout bounds it.
    /// </summary>
    private async Task RememberAsync(Anchor anchor)
    {
        if (anchor.Keys.All is not [{ Until: null } current, ..] || current.AccountId == anchor.Remembered) return;
        await anchor.Remembering.WaitAsync();
        try
        {
            if (anchor.Keys.All is not [{ Until: null } newest, ..] || newest.AccountId == anchor.Remembered) return;
            await kept.PutAsync(KeptName(anchor.Settings.Name), newest.PublicKey, CancellationToken.None);
            anchor.Remembered = newest.AccountId;
        }
        catch (DatabaseUnavailableException e)
        {
            LogUnremembered(logger, anchor.Settings.Name, e.Message);
        }
        finally
        {
            anchor.Remembering.Release();
        }
    }

    private async Task<byte[]?> RecallAsync(string anchor, CancellationToken cancellationToken)
    {
        try
        {
            return await kept.FindAsync(KeptName(anchor), cancellationToken) is { Length: 32 } key ? key : null;
        }
        catch (DatabaseUnavailableException e)
        {
            LogUnremembered(logger, anchor, e.Message);
            return null;
        }
    }

    private static string KeptName(string anchor) => "wallet-signing-key:" + anchor;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The signing key of anchor {Anchor} could not be kept in or read from the database: {Problem}.")]
    private static partial void LogUnremembered(ILogger logger, string anchor, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The signing key of anchor {Anchor} could not be read: {Problem}; {Consequence}.")]
    private static partial void LogUnread(ILogger logger, string anchor, string problem, string consequence);

    private sealed class Anchor(WalletAnchor settings)
    {
        public WalletAnchor Settings { get; } = settings;
        public SemaphoreSlim Reading { get; } = new(1, 1);
        public SemaphoreSlim Remembering { get; } = new(1, 1);
        public DateTimeOffset ReadAt { get; set; } = DateTimeOffset.MinValue;

        /// <summary>The key last kept in the database, or recalled from it.</summary>
        public string? Remembered { get; set; }

        public volatile AnchorKeys Keys = settings.SigningKey is { } configured && StrKey.TryDecodeAccountId(configured, out var key)
            ? new AnchorKeys([new SigningKey(configured, key, Until: null)], Problem: null)
            : new AnchorKeys([], Problem: "its stellar.toml has not been read yet");
    }
}

/// <summary>A key a callback may be signed with: its account id, its 32 bytes, and until when it verifies (null: for as long as it is named).</summary>
internal sealed record SigningKey(string AccountId, byte[] PublicKey, DateTimeOffset? Until);

/// <summary>An anchor's keys as last read, and why the last read failed, if it did.</summary>
internal sealed record AnchorKeys(IReadOnlyList<SigningKey> All, string? Problem)
{
    public bool IsKnown => All.Count > 0;

    /// <summary>The keys that verify at <paramref name="now"/>: all of them but a replaced key whose grace has ended.</summary>
    public IEnumerable<SigningKey> VerifyingAt(DateTimeOffset now) => All.Where(key => key.Until is not { } until || now < until);

    /// <summary>
    /// These keys once the toml names <paramref name="accountId"/>: it first, then the key it replaced, until the end
    /// of the grace. Unchanged when it names the same key.
    /// </summary>
    public AnchorKeys With(string accountId, byte[] publicKey, DateTimeOffset now, TimeSpan grace)
    {
        if (All.Count > 0 && All[0].AccountId == accountId) return this with { Problem = null };
        var replaced = All.Count > 0 ? [All[0] with { Until = now + grace }] : Array.Empty<SigningKey>();
        return new AnchorKeys([new SigningKey(accountId, publicKey, Until: null), .. replaced], Problem: null);
    }
}
