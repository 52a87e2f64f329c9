using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Wallet;

/// <summary>
/// The signing key each anchor's stellar.toml last named, kept in the database (<c>receiver_keys</c>): an instance
/// that starts while the toml cannot be read still verifies that anchor's callbacks with it.
/// </summary>
internal sealed class RememberedSigningKeys(ResilientDatabase database)
{
    public Task RememberAsync(string anchor, byte[] publicKey, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "INSERT INTO receiver_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET key = excluded.key",
            [Value(Name(anchor)), Value(publicKey)], cancellationToken);

    public Task<byte[]?> RecallAsync(string anchor, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT key FROM receiver_keys WHERE name = $1", [Value(Name(anchor))], cancellationToken);

    private static string Name(string anchor) => "wallet-signing-key:" + anchor;
}
