namespace Receiver.Storage.Schema;

/// <summary>
/// A key the instances sharing this database must agree on, e.g. the one that signs list cursors.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class SharedKey
{
    public required string Name { get; init; }
    public required byte[] Key { get; init; }
}
