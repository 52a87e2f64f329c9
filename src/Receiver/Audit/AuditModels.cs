namespace Receiver.Audit;

/// <summary>
/// One audited request, as <c>GET /audit</c> answers it: when it arrived, who made it, the scopes that made it audited
/// (<c>operate</c>, <c>read:personal</c>), the method, the endpoint's route pattern, the path and query string as
/// requested, the status answered (499: the client went away first) and the client's address.
/// </summary>
public sealed record AuditRecord(
    long Id, DateTimeOffset RequestedAt, string Caller, IReadOnlyList<string> Scopes, string Method, string Route, string Target,
    int Status, string? ClientAddress);

/// <summary>One page of the audit trail.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Data, string? NextCursor, int Limit);

/// <summary>An audited request on its way to the database: an <see cref="AuditRecord"/> without the id it gets there.</summary>
internal readonly record struct AuditRow(
    DateTimeOffset RequestedAt, string Caller, string[] Scopes, string Method, string Route, string Target, int Status, string? ClientAddress);

/// <summary>The filters of <c>GET /audit</c>: <paramref name="Since"/> inclusive, <paramref name="Until"/> exclusive.</summary>
internal sealed record AuditFilter(string? Caller, string? Scope, DateTimeOffset? Since, DateTimeOffset? Until);
