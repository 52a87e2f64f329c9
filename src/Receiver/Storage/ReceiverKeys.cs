using System.Security.Cryptography;

namespace Receiver.Storage;

/// <summary>
/// Secret keys kept in the database (<c>receiver_keys</c>), so that every instance signs and checks with the same
/// one: the first instance to need a key makes it, every other reads that one.
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
}
