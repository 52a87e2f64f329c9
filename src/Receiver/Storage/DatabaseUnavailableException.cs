namespace Receiver.Storage;

/// <summary>PostgreSQL could not be reached, or did not answer within <c>Ingest:DatabaseTimeout</c>.</summary>
public sealed class DatabaseUnavailableException(string message, Exception? inner) : Exception(message, inner);
