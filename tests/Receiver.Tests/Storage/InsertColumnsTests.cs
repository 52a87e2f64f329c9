using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Receiver.Audit;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// EventStore's batch inserts (and the audit trail's, AuditStore's) take their <c>unnest(...) AS b(...)</c> and their parameters from one column list each.
/// A wrong entry in a list (a misspelt column, a type the table does not have, the wrong table) must fail here, before
/// any event meets it.
/// </summary>
public sealed partial class InsertColumnsTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Every_column_of_each_insert_exists_in_its_table_with_the_type_its_list_declares()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        var wrong = new List<string>();
        foreach (var (statement, _, columns) in EventStore.Inserts.Append((nameof(AuditStore.Insert), AuditStore.Insert, AuditStore.InsertColumns)))
        {
            foreach (var column in columns)
            {
                // The declared type goes through regtype, so "timestamptz" and "timestamp with time zone" are one type.
                await using var command = new NpgsqlCommand(
                    """
                    SELECT format_type(a.atttypid, a.atttypmod), a.atttypid = $3::regtype
                    FROM pg_attribute a
                    WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
                    """, connection)
                {
                    Parameters = { new() { Value = column.Table }, new() { Value = column.Name }, new() { Value = column.StoredType } },
                };
                await using var reader = await command.ExecuteReaderAsync();
                var where = $"{statement}: column {column.Name} ({column.StoredType}) in {column.Table}";
                if (!await reader.ReadAsync()) wrong.Add($"{where}: no such column");
                else if (!reader.GetBoolean(1)) wrong.Add($"{where}: the table has {reader.GetString(0)}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Each_insert_binds_one_parameter_per_column_and_its_sql_names_each_once()
    {
        var now = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes("{}");
        EventRow[] rows =
        [
            new("t", "transaction_created", new TransactionFacts("tx", "24", "deposit", "incomplete", now, null, body, [], [], []),
                now, body, now, EventSources.Ap),
            new("q", "quote_created", new QuoteFacts("quote", "iso4217:USD", "stellar:USDC", now, null, body), now, body, now, EventSources.Ap),
            new("c", "customer_updated", new CustomerFacts("customer"), now, body, now, EventSources.Ap),
        ];
        var commands = EventStore.BatchCommands(rows).ToList();

        // Besides the inserts: the sequence lock and the WAL record.
        Assert.Equal(EventStore.Inserts.Count, commands.Count - 2);
        foreach (var (_, sql, columns) in EventStore.Inserts)
        {
            var command = Assert.Single(commands, command => command.CommandText == sql);
            Assert.Equal(columns.Count, command.Parameters.Count);
            var placeholders = Placeholder().Matches(sql).Select(match => int.Parse(match.Groups[1].Value)).Distinct().Order();
            Assert.Equal(Enumerable.Range(1, columns.Count), placeholders);
            Assert.Contains($"AS b({string.Join(", ", columns.Select(column => column.Name))})", sql);
        }
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Placeholder();
}
