using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Query;

/// <summary>
/// The lists are planned for each page's values: a generic plan of a prepared list statement scans the whole table
/// (docs/performance.md). The setting holds for the list's statement only, never for the pooled connection.
/// </summary>
public sealed class ListPlanTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task A_list_runs_with_custom_plans_and_leaves_the_connection_as_it_was()
    {
        var reads = app.Services.GetRequiredKeyedService<ResilientDatabase>(DatabaseWork.Read);
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();

        for (var i = 0; i < 8; i++)
        {
            var modes = await reads.ListCustomPlannedAsync("SHOW plan_cache_mode", [], reader => reader.GetString(0), CancellationToken.None);
            Assert.Equal(["force_custom_plan"], modes);
            await using var command = dataSource.CreateCommand("SHOW plan_cache_mode");
            Assert.Equal("auto", await command.ExecuteScalarAsync());
        }
    }
}
