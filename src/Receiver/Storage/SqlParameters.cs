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
}
