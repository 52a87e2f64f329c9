using System.Text;
using Npgsql;
using Receiver.Storage;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Storage;

/// <summary>
/// A batch of events PostgreSQL refuses must leave its pooled connection fit for the next batch. Npgsql can lose track
/// of the statements it auto-prepares in a refused batch (npgsql/npgsql#6391), and the next batch on that connection then
/// reads messages meant for another statement: valid events answered 500, found by the hostile-input corpus.
/// </summary>
public sealed class EventStoreBatchTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task After_batches_that_PostgreSQL_refuses_the_next_batches_on_the_same_connection_are_stored()
    {
        await using var dataSource = OneConnection();
        var store = Store(dataSource);

        // The statements reach Npgsql's auto-prepare threshold (5 uses) while PostgreSQL refuses the snapshot at Bind.
        for (var i = 0; i < 8; i++)
        {
            var refused = await Assert.ThrowsAsync<DatabaseUnavailableException>(
                () => store.InsertBatchAsync([Row("""{"message":"\ud800"}""")], CancellationToken.None));
            Assert.IsType<PostgresException>(refused.InnerException);
        }

        for (var i = 0; i < 8; i++)
        {
            var rows = new[] { Row("{}"), Row("{}") };
            var stored = await store.InsertBatchAsync(rows, CancellationToken.None);
            Assert.All(stored, sequenceNumber => Assert.NotNull(sequenceNumber));
            foreach (var row in rows) Assert.Equal(1, await app.CountAsync("events", "id = $1", row.Id));
        }
    }

    /// <summary>
    /// A connection that meets AP's traffic, one event a batch, from its first batch: PostgreSQL planned the insert anew
    /// at every one (it found a generic plan, estimated for 100 rows per array, dearer than a plan for one row), 140 µs
    /// a batch. The batch makes it keep one generic plan (docs/performance.md, "The write's plan").
    /// </summary>
    [Fact]
    public async Task Batches_of_one_event_run_one_generic_plan_of_the_insert()
    {
        await using var dataSource = OneConnection();
        var store = Store(dataSource);
        for (var i = 0; i < 12; i++) await store.InsertBatchAsync([Row("{}")], CancellationToken.None);

        // The same connection (a pool of one) sees the statements Npgsql prepared on it.
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var plans = new NpgsqlCommand(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO event_ids%'", connection);
        await using var reader = await plans.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the insert was not prepared");
        Assert.Equal(0L, reader.GetInt64(1));
        Assert.True(reader.GetInt64(0) > 0);
    }

    /// <summary>One connection, auto-preparing as the app does: every batch runs on the connection the one before left.</summary>
    private NpgsqlDataSource OneConnection()
    {
        var builder = new NpgsqlDataSourceBuilder(app.ConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        return builder.Build();
    }

    private EventStore Store(NpgsqlDataSource dataSource) => new(dataSource, app.Database(new DatabaseOptions(), dataSource));

    private static EventRow Row(string snapshot)
    {
        var id = ApEvents.NewId();
        var now = DateTimeOffset.UtcNow;
        var transaction = new TransactionFacts(id, "24", "deposit", "incomplete", now, now, Encoding.UTF8.GetBytes(snapshot), [], [], []);
        return new EventRow(ApEvents.NewId(), "transaction_created", transaction, now, Encoding.UTF8.GetBytes("{}"), now, EventSources.Ap);
    }
}
