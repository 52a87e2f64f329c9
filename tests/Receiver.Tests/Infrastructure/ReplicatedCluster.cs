using Npgsql;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// A primary and one streaming standby made by pg_basebackup, both on loopback, for tests of failover and of reads
/// from a standby. With <c>synchronous</c>, the primary's commits wait until the standby has flushed them
/// (<c>synchronous_standby_names</c> naming it, <c>synchronous_commit=on</c>).
/// </summary>
public sealed class ReplicatedCluster : IAsyncDisposable
{
    public const string StandbyName = "receiver_standby";

    private ReplicatedCluster(PrivateCluster primary, PrivateCluster standby)
    {
        Primary = primary;
        Standby = standby;
    }

    /// <summary>The cluster that starts as the primary.</summary>
    public PrivateCluster Primary { get; }

    /// <summary>The cluster that starts as the standby.</summary>
    public PrivateCluster Standby { get; }

    public static async Task<ReplicatedCluster> CreateAsync(bool synchronous)
    {
        string[] primarySettings = synchronous
            ? ["-c", $"synchronous_standby_names={StandbyName}", "-c", "synchronous_commit=on", "-c", "max_connections=200"]
            : ["-c", "max_connections=200"];
        var primary = await PrivateCluster.CreateAsync(primarySettings);
        try
        {
            var standby = await PrivateCluster.CreateStandbyAsync(primary, StandbyName, ["-c", "max_connections=200"]);
            return new ReplicatedCluster(primary, standby);
        }
        catch
        {
            await primary.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One connection string naming both hosts, the primary first, as an operator's would; Npgsql picks the one whose
    /// state matches <paramref name="targetSessionAttributes"/> (primary, prefer-standby, ...).
    /// </summary>
    public string ConnectionString(string database, string targetSessionAttributes = "primary") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = $"127.0.0.1:{Primary.Port},127.0.0.1:{Standby.Port}",
            Username = "postgres",
            Password = "postgres",
            Database = database,
            ["Target Session Attributes"] = targetSessionAttributes,
        }.ConnectionString;

    /// <summary>Waits until the standby has replayed everything the primary has written so far.</summary>
    public async Task WaitForStandbyAsync(string database = "postgres")
    {
        await using var primary = new NpgsqlConnection(Primary.ConnectionString(database));
        await primary.OpenAsync();
        var written = (string)(await new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", primary).ExecuteScalarAsync())!;
        await using var standby = new NpgsqlConnection(Standby.ConnectionString(database));
        await standby.OpenAsync();
        await Eventually.HoldsAsync(async () => (bool)(await new NpgsqlCommand(
            $"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn", standby).ExecuteScalarAsync())!, "the standby did not catch up");
    }

    public async ValueTask DisposeAsync()
    {
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
    }
}
