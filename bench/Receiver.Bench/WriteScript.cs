using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Receiver.Storage;

namespace Receiver.Bench;

/// <summary>
/// Prints a pgbench script that sends PostgreSQL the receiver's own write of one event, exactly as EventStore sends
/// it: EventStore's statements (the sequence lock, the insert, the WAL record) in one pipeline, one implicit transaction. Its parameters are
/// those EventStore binds for a SEP-31 event, written as literals, except the event id (a new one each time) and the
/// transaction id (one of <c>--transactions</c>). pgbench then shows what PostgreSQL alone allows that write, with no
/// .NET, HTTP, authentication or validation in front of it. Each literal is made to depend on a pgbench variable, which
/// pgbench sends as a parameter: a plain literal would be read (a snapshot parsed as jsonb, hex decoded) once, when
/// the statement is planned, where EventStore's parameters are read at every execution (pgbench then reached 1.07 to
/// 1.15 times the rate; bench/RESULTS.md, 2026-12-06 21:20). With <c>--write events</c> the statement stores the event
/// and its id alone, without the transaction's state and the customers it names: what a write would cost whose state
/// came after the 200, the bound of the design that does not promise a readable state with each 200.
/// </summary>
internal static partial class WriteScript
{
    private const string EventIdMarker = "@event-id@";
    private const string TransactionIdMarker = "@transaction-id@";

    public static int Run(Arguments arguments)
    {
        var transactions = arguments.Number("transactions", 100_000);
        var eventsOnly = arguments.Choice("write", "whole", "events") == "events";
        var template = StorageAlone.Template();
        var row = template.Row with { Id = EventIdMarker, Subject = template.Facts with { Id = TransactionIdMarker, UpdatedAt = DateTimeOffset.UtcNow } };
        var statements = EventStore.BatchCommands([row]).Select(command => Parameter().Replace(command.CommandText,
            match => Literal(command.Parameters[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) - 1].Value)) + ";")
            .Select(statement => eventsOnly ? WithoutState(statement) : statement);
        Console.WriteLine($"""
            \set tx random(0, {transactions - 1})
            \startpipeline
            {string.Join(Environment.NewLine, statements)}
            \endpipeline
            """);
        return 0;
    }

    /// <summary>
    /// The statement without its CTEs that write the state (from <c>state</c> to the last one), the lock and the WAL
    /// record as they are. Fails when EventStore's statement no longer has that shape, rather than measure something else.
    /// </summary>
    private static string WithoutState(string statement)
    {
        if (!statement.StartsWith("WITH batch AS", StringComparison.Ordinal)) return statement;
        var stateless = StateCtes().Replace(statement, "\n)\nSELECT seq, id FROM inserted;", 1);
        return stateless != statement && !stateless.Contains("INSERT INTO transactions", StringComparison.Ordinal)
            && !stateless.Contains("INSERT INTO customers", StringComparison.Ordinal)
            ? stateless
            : throw new InvalidOperationException("EventStore's transaction statement no longer ends with its state CTEs");
    }

    [GeneratedRegex(@"\n\), state AS \(.*\n\)\nSELECT seq, id FROM inserted;$", RegexOptions.Singleline)]
    private static partial Regex StateCtes();

    /// <summary>A parameter's value as a SQL expression; the statement's own cast gives it its type.</summary>
    private static string Literal(object? value) => value switch
    {
        byte[] bytes => $"('\\x{Convert.ToHexString(bytes)}' || {PerExecution})::bytea",
        // UTF-8 JSON (a snapshot), which the statement's cast reads as jsonb.
        ReadOnlyMemory<byte> json => Text(Encoding.UTF8.GetString(json.Span)),
        Array array => $"ARRAY[{string.Join(", ", array.Cast<object?>().Select(Literal))}]",
        EventIdMarker => "gen_random_uuid()::text",
        TransactionIdMarker => "'bench-tx-' || :tx",
        null => "NULL",
        string text => Text(text),
        long number => number.ToString(CultureInfo.InvariantCulture),
        DateTimeOffset instant => Text(instant.ToString("O", CultureInfo.InvariantCulture)),
        var other => throw new NotSupportedException($"no literal for a {other.GetType().Name} parameter"),
    };

    // pgbench reads ":name" as one of its variables even inside a string: colons go in as an escape.
    private static string Text(string value) =>
        "(E'" + new StringBuilder(value).Replace("\\", "\\\\").Replace("'", "\\'").Replace(":", "\\072") + $"' || {PerExecution})";

    /// <summary>An empty string PostgreSQL cannot compute when planning: it comes from a parameter.</summary>
    private const string PerExecution = "left(:tx::text, 0)";

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Parameter();
}
