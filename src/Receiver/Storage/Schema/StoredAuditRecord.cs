namespace Receiver.Storage.Schema;

/// <summary>
/// One request of the audit trail (see Audit/): when, who, with which of the audited scopes, what was asked and what
/// was answered. Kept for <c>Retention:AuditRecords</c>.
/// Schema only: describes a table for the migrations; never read or written at run time (the stores' SQL is).
/// </summary>
public sealed class StoredAuditRecord
{
    public long Id { get; init; }

    /// <summary>When the request arrived, by the server's clock.</summary>
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>Who made it: a named key's name, a legacy key's setting, a token's subject. Never a secret.</summary>
    public required string Caller { get; init; }

    /// <summary>The scopes that made the request audited: <c>operate</c>, <c>read:personal</c>.</summary>
    public required string[] Scopes { get; init; }

    public required string Method { get; init; }

    /// <summary>The endpoint's route pattern, e.g. <c>/transactions/{id}</c>.</summary>
    public required string Route { get; init; }

    /// <summary>The path and query string as requested.</summary>
    public required string Target { get; init; }

    /// <summary>The HTTP status answered; 499 when the client went away before an answer.</summary>
    public int Status { get; init; }

    public string? ClientAddress { get; init; }
}
