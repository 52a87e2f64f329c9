using Npgsql;
using NpgsqlTypes;
using static Receiver.Storage.SqlParameters;

namespace Receiver.Storage;

/// <summary>Positional parameters and AND-ed conditions for a query whose filters are optional.</summary>
internal sealed class SqlBuilder
{
    private readonly List<string> _conditions = [];
    public List<NpgsqlParameter> Parameters { get; } = [];

    public string WhereClause => _conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", _conditions);

    public void Where(string condition) => _conditions.Add(condition);

    /// <summary>Adds a parameter and returns its placeholder: values never enter the SQL text.</summary>
    public string Add(object value)
    {
        Parameters.Add(Value(value, value is string[] ? NpgsqlDbType.Array | NpgsqlDbType.Text : null));
        return "$" + Parameters.Count;
    }
}
