using Npgsql;
using NpgsqlTypes;

namespace Receiver.Storage;

/// <summary>Parameters of the plain-Npgsql stores' statements.</summary>
internal static class SqlParameters
{
    /// <summary>A positional parameter; its PostgreSQL type inferred from the value unless given.</summary>
    public static NpgsqlParameter Value(object value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter { Value = value };
        if (type is { } dbType) parameter.NpgsqlDbType = dbType;
        return parameter;
    }

    /// <summary>
    /// A named parameter, written <c>@name</c> in the SQL (null becomes SQL NULL): for a statement with more values
    /// than can be matched by position at a glance. The hot path's statements stay positional (their parameters come
    /// from one column list, see <see cref="UnnestColumns{TRow}"/>), which spares Npgsql rewriting their SQL.
    /// </summary>
    public static NpgsqlParameter Named(string name, object? value, NpgsqlDbType? type = null)
    {
        var parameter = Value(value ?? DBNull.Value, type);
        parameter.ParameterName = name;
        return parameter;
    }
}
