namespace Receiver.Storage;

/// <summary>PostgreSQL could not be reached, or did not answer within <c>Database:Timeout</c>.</summary>
public sealed class DatabaseUnavailableException(string message, Exception? inner) : Exception(message, inner)
{
    /// <summary>
    /// The event of the request was handed to PostgreSQL before the request gave up, so it may still commit (AP's
    /// retry then finds it stored). False: it was never sent, and never will be.
    /// </summary>
    public bool EventMayBeStored { get; init; }

    /// <summary>
    /// PostgreSQL refused the statement itself (a value, a constraint): the same statement fails again, another may
    /// not. False when the server was down, too slow, or not the primary: then every statement fails alike.
    /// </summary>
    public bool StatementRefused { get; init; }
}

/// <summary>PostgreSQL answers, but the role Receiver connects as cannot do what ingest needs: said at start, not by 503s.</summary>
public sealed class DatabaseNotUsableException(string message) : Exception(message);

/// <summary>
/// A batch committed on the primary, but its wait for the synchronous standby was cancelled: the commit may not be on
/// the standby, so its events must not be acknowledged. Another try is a redelivery, which waits for the standby again.
/// </summary>
internal sealed class UnreplicatedCommitException()
    : Exception("PostgreSQL committed on the primary, but its wait for the synchronous standby was cancelled.");
