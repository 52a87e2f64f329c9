using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>What a newcomer sees on the very first start: a database created and migrated, then serving.</summary>
public sealed class FirstStartTests
{
    [Fact]
    public async Task A_first_start_on_a_fresh_database_says_what_it_migrated_to_and_where_it_is_ready_and_logs_no_failure()
    {
        await ReceiverProcess.RunOnOwnDatabaseAsync(new Dictionary<string, string>
        {
            ["CallbackApi__Auth__Type"] = "none",
            ["QueryApi__Auth__Type"] = "none",
        }, async (app, http) =>
        {
            // "Ready on" follows Kestrel's "Now listening on", which is all the start waits for.
            var waited = Stopwatch.StartNew();
            while (!app.Output.Contains("Ready on ", StringComparison.Ordinal) && waited.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);

            var latest = new DesignTimeDbContextFactory().CreateDbContext([]).Database.GetMigrations().Last();
            Assert.Contains($"Database migrated to {latest}", app.Output);
            Assert.Contains($"Ready on {http.BaseAddress!.ToString().TrimEnd('/')}", app.Output);
            Assert.DoesNotContain("fail:", app.Output);
            Assert.DoesNotContain("crit:", app.Output);
        });
    }
}
