using System.Security.Cryptography;

namespace Receiver.Storage;

/// <summary>
/// Keys kept in the database (<c>receiver_keys</c>), so that every instance uses the same ones and they outlive a
/// restart: secrets the receiver makes (<see cref="GetOrCreateAsync"/>: the first instance to need one makes it, every
/// other reads that one), and keys it learns (<see cref="PutAsync"/>, e.g. a wallet's anchor's signing key).
/// </summary>
internal sealed class ReceiverKeys(ResilientDatabase database)
{
    private const int KeyBytes = 32;

    public async Task<byte[]> GetOrCreateAsync(string name, CancellationToken cancellationToken) =>
        (await database.ScalarAsync<byte[]>(
            """
            WITH made AS (INSERT INTO receiver_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING key)
            SELECT key FROM made UNION ALL SELECT key FROM receiver_keys WHERE name = $1 LIMIT 1
            """,
            [SqlParameters.Value(name), SqlParameters.Value(RandomNumberGenerator.GetBytes(KeyBytes))],
            cancellationToken))!;

    /// <summary>Keeps <paramref name="key"/> under <paramref name="name"/>, in place of any kept before.</summary>
    public Task PutAsync(string name, byte[] key, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "INSERT INTO receiver_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET key = excluded.key",
            [SqlParameters.Value(name), SqlParameters.Value(key)], cancellationToken);

    /// <summary>The key kept under <paramref name="name"/>, if any.</summary>
    public Task<byte[]?> FindAsync(string name, CancellationToken cancellationToken) =>
        database.ScalarAsync<byte[]>("SELECT key FROM receiver_keys WHERE name = $1", [SqlParameters.Value(name)], cancellationToken);
}
