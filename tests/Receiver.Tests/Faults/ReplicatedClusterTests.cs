using Npgsql;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Faults;

/// <summary>The replicated clusters the failover tests stand on: a standby that replays, and a promotion reached through the multi-host connection string.</summary>
public sealed class ReplicatedClusterTests
{
    [Fact]
    public async Task A_killed_primary_s_standby_promoted_takes_writes_through_the_same_connection_string()
    {
        await using var cluster = await ReplicatedCluster.CreateAsync(synchronous: true);
        await using (var c = new NpgsqlConnection(cluster.ConnectionString("postgres")))
        {
            await c.OpenAsync();
            await new NpgsqlCommand("CREATE TABLE t (x int); INSERT INTO t VALUES (1)", c).ExecuteNonQueryAsync();
        }
        await cluster.WaitForStandbyAsync();
        await using (var s = new NpgsqlConnection(cluster.Standby.ConnectionString("postgres")))
        {
            await s.OpenAsync();
            Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM t", s).ExecuteScalarAsync());
        }
        await cluster.Primary.KillAsync();
        await cluster.Standby.PromoteAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var c = new NpgsqlConnection(cluster.ConnectionString("postgres")))
        {
            await c.OpenAsync();
            await new NpgsqlCommand("INSERT INTO t VALUES (2)", c).ExecuteNonQueryAsync();
            Assert.Equal(2L, await new NpgsqlCommand("SELECT count(*) FROM t", c).ExecuteScalarAsync());
        }
    }
}
