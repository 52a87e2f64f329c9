using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;

namespace Receiver.Storage;

/// <summary>
/// The columns of a set-based insert, declared once: each with its name, its PostgreSQL type and how to read it from a
/// row. From that one list come both the statement's <c>unnest($1::text[], ...) AS b(id, ...)</c> (<see cref="Unnest"/>,
/// generated once) and its parameters, one array per column in the same order (<see cref="Command"/>), so a column's
/// position in the SQL and in the parameters cannot drift apart.
/// </summary>
/// <param name="defaultTable">The table the columns are written to, unless a column names another.</param>
internal sealed class UnnestColumns<TRow>(string defaultTable)
{
    /// <summary>Reads a column's value from a row, which is passed by reference: a row is a struct of several fields.</summary>
    public delegate T Read<out T>(in TRow row);

    private readonly List<UnnestColumn> _columns = [];
    private readonly List<Func<List<TRow>, NpgsqlParameter>> _arrays = [];
    private string? _unnest;

    public IReadOnlyList<UnnestColumn> Columns => _columns;

    /// <summary><c>unnest($1::text[], ...) AS b(id, ...)</c>: one row per element, the columns named as declared.</summary>
    public string Unnest => _unnest ??=
        $"unnest({string.Join(", ", _columns.Select((column, i) => $"${i + 1}::{column.ArrayElementType}[]"))}) " +
        $"AS b({string.Join(", ", _columns.Select(column => column.Name))})";

    /// <summary>
    /// The statement <paramref name="sql"/> (built on <see cref="Unnest"/>) with one array per column, in the order of
    /// <see cref="Unnest"/>: element i of each is read from row i.
    /// </summary>
    public NpgsqlBatchCommand Command(string sql, List<TRow> rows)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in Parameters(rows)) command.Parameters.Add(parameter);
        return command;
    }

    /// <summary>The arrays of <see cref="Command"/> alone, for a statement that runs by itself rather than in a batch.</summary>
    public IReadOnlyList<NpgsqlParameter> Parameters(List<TRow> rows) => [.. _arrays.Select(array => array(rows))];

    public UnnestColumns<TRow> Text(string name, Read<string?> value, string? table = null) =>
        Add(name, "text", "text", NpgsqlDbType.Text, value, table);

    public UnnestColumns<TRow> Integer(string name, Read<int> value, string? table = null) =>
        Add(name, "integer", "integer", NpgsqlDbType.Integer, value, table);

    public UnnestColumns<TRow> Instant(string name, Read<DateTimeOffset?> value, string? table = null) =>
        Add(name, "timestamptz", "timestamptz", NpgsqlDbType.TimestampTz, value, table);

    /// <summary>A <c>jsonb</c> column from UTF-8 JSON text, which Npgsql sends as it is.</summary>
    public UnnestColumns<TRow> Jsonb(string name, Read<ReadOnlyMemory<byte>> value, string? table = null) =>
        Add(name, "jsonb", "jsonb", NpgsqlDbType.Jsonb, value, table);

    public UnnestColumns<TRow> Bytea(string name, Read<byte[]> value, string? table = null) =>
        Add(name, "bytea", "bytea", NpgsqlDbType.Bytea, value, table);

    /// <summary>
    /// A <c>text[]</c> column whose value travels as a JSON array: the values differ in length from row to row, which
    /// a PostgreSQL array of arrays cannot hold. The statement turns it back with <c>jsonb_array_elements_text</c>.
    /// </summary>
    public UnnestColumns<TRow> TextArrayAsJson(string name, Read<string> json, string? table = null) =>
        Add(name, "jsonb", "text[]", NpgsqlDbType.Jsonb, json, table);

    private UnnestColumns<TRow> Add<T>(
        string name, string arrayElementType, string storedType, NpgsqlDbType dbType, Read<T> value, string? columnTable)
    {
        if (_unnest is not null) throw new InvalidOperationException("The columns are fixed once the SQL is generated.");
        _columns.Add(new UnnestColumn(name, arrayElementType, columnTable ?? defaultTable, storedType));
        _arrays.Add(rows =>
        {
            var span = CollectionsMarshal.AsSpan(rows);
            var array = new T[span.Length];
            for (var i = 0; i < array.Length; i++) array[i] = value(in span[i]);
            return SqlParameters.Value(array, NpgsqlDbType.Array | dbType);
        });
        return this;
    }
}

/// <param name="Name">The name in <c>AS b(...)</c>, and of the column it is written to in <paramref name="Table"/>.</param>
/// <param name="ArrayElementType">The PostgreSQL type of the parameter's elements (the cast <c>$n::type[]</c>).</param>
/// <param name="StoredType">The PostgreSQL type of that column in the table.</param>
internal sealed record UnnestColumn(string Name, string ArrayElementType, string Table, string StoredType);
