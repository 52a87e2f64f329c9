using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Receiver.Storage.Schema;

namespace Receiver.Tests.Infrastructure;

/// <summary>A database at an earlier migration, filled as that release filled it, for the tests of a migration on data.</summary>
public static class EarlierSchema
{
    /// <summary>Creates the database of <paramref name="connectionString"/> and migrates it up to <paramref name="migration"/> only.</summary>
    public static async Task MigrateToAsync(string connectionString, string migration)
    {
        await using var context = new ReceiverDbContext(new DbContextOptionsBuilder<ReceiverDbContext>().UseNpgsql(connectionString).Options);
        await context.GetService<IMigrator>().MigrateAsync(migration);
    }

    /// <summary>Runs <paramref name="sql"/> with named text parameters (<c>@name</c>).</summary>
    public static async Task ExecuteAsync(string connectionString, string sql, params (string Name, string Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }
}
