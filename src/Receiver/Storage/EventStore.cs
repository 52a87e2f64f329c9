using Npgsql;
using NpgsqlTypes;

namespace Receiver.Storage;

/// <summary>The ingest path's writes, in plain Npgsql: one statement each, so nothing is ever half-written.</summary>
internal sealed class EventStore(NpgsqlDataSource dataSource, ResilientDatabase database)
{
    /// <summary>Inserts the event unless its id is already stored; true when this call stored it.</summary>
    public Task<bool> TryInsertAsync(EventRow row, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO events (id, type, transaction_id, quote_id, customer_id, body, received_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (id) DO NOTHING
                """);
            command.Parameters.Add(Value(row.Id));
            command.Parameters.Add(Value(row.Type));
            command.Parameters.Add(Text(row.TransactionId));
            command.Parameters.Add(Text(row.QuoteId));
            command.Parameters.Add(Text(row.CustomerId));
            command.Parameters.Add(Value(row.Body, NpgsqlDbType.Bytea));
            command.Parameters.Add(Value(row.ReceivedAt));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<byte[]?> FindBodyAsync(string eventId, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand("SELECT body FROM events WHERE id = $1");
            command.Parameters.Add(Value(eventId));
            return await command.ExecuteScalarAsync(ct) as byte[];
        }, cancellationToken);

    /// <summary>Keeps a rejected body; a repeat of the same rejection (AP retrying) only counts an attempt.</summary>
    public Task RecordRejectedAsync(RejectedRow row, CancellationToken cancellationToken) =>
        database.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO rejected_events (event_id, event_type, reason, errors, body, fingerprint, first_received_at, last_received_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                ON CONFLICT (event_id, reason, fingerprint) DO UPDATE
                SET attempts = rejected_events.attempts + 1,
                    errors = excluded.errors,
                    last_received_at = excluded.last_received_at
                """);
            command.Parameters.Add(Text(row.EventId));
            command.Parameters.Add(Text(row.EventType));
            command.Parameters.Add(Value(row.Reason));
            command.Parameters.Add(Value(row.ErrorsJson, NpgsqlDbType.Jsonb));
            command.Parameters.Add(Value(row.Body, NpgsqlDbType.Bytea));
            command.Parameters.Add(Value(row.Fingerprint));
            command.Parameters.Add(Value(row.ReceivedAt));
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    private static NpgsqlParameter Text(string? value) => Value((object?)value ?? DBNull.Value, NpgsqlDbType.Text);

    private static NpgsqlParameter Value(object value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter { Value = value };
        if (type is { } dbType) parameter.NpgsqlDbType = dbType;
        return parameter;
    }
}

internal readonly record struct EventRow(
    string Id, string Type, string? TransactionId, string? QuoteId, string? CustomerId,
    ArraySegment<byte> Body, DateTimeOffset ReceivedAt);

internal readonly record struct RejectedRow(
    string? EventId, string? EventType, string Reason, string ErrorsJson,
    ArraySegment<byte> Body, byte[] Fingerprint, DateTimeOffset ReceivedAt);
