using System.Text.Json;
using Receiver.Storage;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Audit;

/// <summary>The audit trail's SQL: a batch of records in one insert, the pages of <c>GET /audit</c>, the retention sweep.</summary>
internal sealed class AuditStore(ResilientDatabase database, [FromKeyedServices(DatabaseWork.Read)] ResilientDatabase reads)
{
    private static readonly UnnestColumns<AuditRow> Columns =
        new UnnestColumns<AuditRow>("audit_records")
            .Instant("requested_at", (in row) => row.RequestedAt)
            .Text("caller", (in row) => row.Caller)
            .TextArrayAsJson("scopes", (in row) => JsonSerializer.Serialize(row.Scopes, StorageJsonContext.Default.StringArray))
            .Text("method", (in row) => row.Method)
            .Text("route", (in row) => row.Route)
            .Text("target", (in row) => row.Target)
            .Integer("status", (in row) => row.Status)
            .Text("client_address", (in row) => row.ClientAddress);

    /// <summary>
    /// Taken by every insert, before its ids are drawn, and held to its commit, as the feed's sequence lock is (see
    /// EventStore): records commit in the order of their ids, so a reader that keeps the last id it read
    /// (<c>GET /audit?after=</c>) misses none that commit later on any instance. Any fixed number: "Audit" in ASCII.
    /// </summary>
    internal const long InsertLock = 0x4175646974;

    internal static readonly string Insert =
        $"""
         INSERT INTO audit_records (requested_at, caller, scopes, method, route, target, status, client_address)
         SELECT requested_at, caller, ARRAY(SELECT jsonb_array_elements_text(scopes)), method, route, target, status, client_address
         FROM (SELECT pg_advisory_xact_lock({InsertLock})) AS locked, {Columns.Unnest}
         """;

    internal static IReadOnlyList<UnnestColumn> InsertColumns => Columns.Columns;

    /// <summary>One statement for the whole batch, one commit.</summary>
    public Task InsertAsync(List<AuditRow> rows, CancellationToken cancellationToken) =>
        database.ExecuteAsync(Insert, Columns.Parameters(rows), cancellationToken);

    private const string RecordColumns = "id, requested_at, caller, scopes, method, route, target, status, client_address";

    /// <summary>
    /// A page of records: newest first, before the id <paramref name="from"/> when given; or, <paramref name="ascending"/>,
    /// oldest first after it.
    /// </summary>
    public Task<List<AuditRecord>> ListAsync(AuditFilter filter, long? from, bool ascending, int take, CancellationToken cancellationToken)
    {
        var sql = new SqlBuilder();
        if (filter.Caller is { } caller) sql.Where($"caller = {sql.Add(caller)}");
        if (filter.Scope is { } scope) sql.Where($"{sql.Add(scope)} = ANY(scopes)");
        if (filter.Since is { } since) sql.Where($"requested_at >= {sql.Add(since)}");
        if (filter.Until is { } until) sql.Where($"requested_at < {sql.Add(until)}");
        if (from is { } id) sql.Where($"id {(ascending ? ">" : "<")} {sql.Add(id)}");
        return reads.ListAsync(
            $"SELECT {RecordColumns} FROM audit_records {sql.WhereClause} ORDER BY id {(ascending ? "ASC" : "DESC")} LIMIT {sql.Add(take)}",
            sql.Parameters,
            reader => new AuditRecord(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8)),
            cancellationToken);
    }
}
