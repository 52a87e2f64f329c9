namespace Receiver.Storage;

/// <summary>PostgreSQL could not be reached, or did not answer within <c>Database:Timeout</c>.</summary>
public sealed class DatabaseUnavailableException(string message, Exception? inner) : Exception(message, inner)
{
    /// <summary>
    /// The event of the request was handed to PostgreSQL before the request gave up, so it may still commit (AP's
    /// retry then finds it stored). False: it was never sent, and never will be.
    /// </summary>
    public bool EventMayBeStored { get; init; }
}
