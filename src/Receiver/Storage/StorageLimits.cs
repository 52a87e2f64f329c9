namespace Receiver.Storage;

/// <summary>What Receiver can key and index in PostgreSQL; ingest and the query APIs check their input against it.</summary>
internal static class StorageLimits
{
    public const int MaxIdentifierLength = 255;

    /// <summary>
    /// Whether Receiver indexes a string (an asset, an account, a customer id) for the query API. PostgreSQL cannot
    /// index a long value (a B-tree entry holds about 2.7 kB), and AP's own are short, but an anchor's or a wallet's
    /// text can be longer: such a value is kept in the snapshot and not indexed, never refused.
    /// </summary>
    public static bool IsIndexable(string value) => value.Length <= MaxIdentifierLength;

    /// <summary>An id we store and key state by: AP's are UUIDs, so a short printable string.</summary>
    public static bool IsStorableIdentifier(string? value) =>
        value is { Length: > 0 and <= MaxIdentifierLength } && !value.Any(char.IsControl);
}
