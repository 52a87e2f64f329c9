using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// At Database:Timeout, Npgsql's cancellation runs before ResilientDatabase's own: Npgsql registers it on the deadline
/// when a read blocks, after ResilientDatabase began waiting, and a token runs the last registered first. Npgsql then
/// cancels the statement, and a statement can end in success on a cancel: a commit whose wait for a synchronous
/// standby is cancelled stays on the primary alone and reports success. Such a success must not be taken for done.
/// EventStore tells a cancelled wait by PostgreSQL's warning; ResilientDatabase tries such a batch again.
/// </summary>
public sealed class DeadlineTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task An_operation_that_succeeds_when_its_deadline_fires_is_answered_as_too_slow()
    {
        var database = Within(TimeSpan.FromMilliseconds(300));

        var failed = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.RunAsync(async deadline =>
        {
            // As Npgsql does: the registration comes after ResilientDatabase's, and it ends the operation at once, on the
            // thread that runs the deadline's callbacks (no synchronization context to post the rest to).
            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            var ended = new TaskCompletionSource<int>();
            await using var registration = deadline.Register(() => ended.TrySetResult(1));
            return await ended.Task.ConfigureAwait(false);
        }, CancellationToken.None));
        Assert.Equal("PostgreSQL did not answer in time.", failed.Message);
    }

    /// <summary>A commit the synchronous standby did not confirm is tried again within the timeout, not answered.</summary>
    [Fact]
    public async Task A_commit_the_standby_did_not_confirm_is_tried_again()
    {
        var tries = 0;
        var result = await Within(TimeSpan.FromSeconds(30)).RunAsync(
            _ => ++tries == 1 ? throw new UnreplicatedCommitException() : Task.FromResult(tries), CancellationToken.None);
        Assert.Equal(2, result);
    }

    private ResilientDatabase Within(TimeSpan timeout) => app.Database(new DatabaseOptions { Timeout = timeout });
}
