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
    public static bool IsStorableIdentifier(string? value) => value is not null && IsStorableIdentifier(value.AsSpan());

    /// <inheritdoc cref="IsStorableIdentifier(string?)"/>
    public static bool IsStorableIdentifier(ReadOnlySpan<char> value) =>
        value.Length is > 0 and <= MaxIdentifierLength
        // char.IsControl's two ranges: C0 with DEL, and C1.
        && value.IndexOfAnyInRange('\u0000', '\u001F') < 0 && value.IndexOfAnyInRange('\u007F', '\u009F') < 0;
}
