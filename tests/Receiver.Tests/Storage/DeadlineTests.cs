using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// At Database:Timeout, Npgsql's cancellation runs before ResilientDatabase's own: Npgsql registers it on the deadline
/// when a read blocks, after ResilientDatabase began waiting, and a token runs the last registered first. Npgsql then
/// cancels the statement, and a statement can end in success on a cancel: a commit whose wait for a synchronous
/// standby is cancelled stays on the primary alone and reports success. Such a success must not be taken for done.
/// </summary>
public sealed class DeadlineTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task An_operation_that_succeeds_when_its_deadline_fires_is_answered_as_too_slow()
    {
        var database = new ResilientDatabase(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Services.GetRequiredService<StandbyReads>(),
            Options.Create(new DatabaseOptions { Timeout = TimeSpan.FromMilliseconds(300) }),
            app.Services.GetRequiredService<DatabaseMetrics>(), NullLogger<ResilientDatabase>.Instance);

        var failed = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.RunAsync(async deadline =>
        {
            // As Npgsql does: the registration comes after ResilientDatabase's, and it ends the operation at once.
            await Task.Delay(100, CancellationToken.None);
            var ended = new TaskCompletionSource<int>();
            await using var registration = deadline.Register(() => ended.TrySetResult(1));
            return await ended.Task;
        }, CancellationToken.None));
        Assert.Equal("PostgreSQL did not answer in time.", failed.Message);
    }
}
