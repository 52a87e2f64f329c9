using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class RejectedEventPartitions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // rejected_events becomes partitioned by month, as events did (EventPartitions), on a column of its own:
            // the month of a row's first attempt, in its unique key, so that AP's retries in one month count on one
            // row. The rows are copied with their ids, and the identity goes on after the highest.
            // Locked first, as events in EventPartitions: no row committed by an instance of the old release after the
            // copy is dropped with the old table.
            migrationBuilder.Sql("""
                LOCK TABLE rejected_events IN EXCLUSIVE MODE;
                CREATE TABLE rejected_events_partitioned (
                    LIKE rejected_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY,
                    received_month timestamptz NOT NULL
                ) PARTITION BY RANGE (received_month);
                DO $$
                DECLARE month timestamp;
                BEGIN
                    FOR month IN SELECT generate_series(
                        date_trunc('month', coalesce((SELECT min(first_received_at) FROM rejected_events), now()) AT TIME ZONE 'UTC'),
                        date_trunc('month', greatest((SELECT max(first_received_at) FROM rejected_events), now()) AT TIME ZONE 'UTC') + interval '3 months',
                        interval '1 month')
                    LOOP
                        EXECUTE format('CREATE TABLE %I PARTITION OF rejected_events_partitioned FOR VALUES FROM (%L) TO (%L)',
                            'rejected_events_' || to_char(month, 'YYYY_MM'), month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
                    END LOOP;
                END $$;
                INSERT INTO rejected_events_partitioned OVERRIDING SYSTEM VALUE
                SELECT r.*, date_trunc('month', r.first_received_at, 'UTC') FROM rejected_events r;
                SELECT setval(pg_get_serial_sequence('rejected_events_partitioned', 'id'), coalesce(max(id), 0) + 1, false) FROM rejected_events;
                DROP TABLE rejected_events;
                ALTER TABLE rejected_events_partitioned RENAME TO rejected_events;
                ALTER SEQUENCE rejected_events_partitioned_id_seq RENAME TO rejected_events_id_seq;
                ALTER TABLE rejected_events ADD CONSTRAINT "PK_rejected_events" PRIMARY KEY (id, received_month);
                CREATE UNIQUE INDEX "IX_rejected_events_event_id_reason_fingerprint_received_month"
                    ON rejected_events (event_id, reason, fingerprint, received_month);
                CREATE INDEX "IX_rejected_events_last_received_at" ON rejected_events (last_received_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one unpartitioned table; rows of one event, reason and body kept in several months become one,
            // the latest.
            migrationBuilder.Sql("""
                CREATE TABLE rejected_events_unpartitioned (LIKE rejected_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY);
                ALTER TABLE rejected_events_unpartitioned DROP COLUMN received_month;
                INSERT INTO rejected_events_unpartitioned OVERRIDING SYSTEM VALUE
                SELECT DISTINCT ON (event_id, reason, fingerprint, CASE WHEN event_id IS NULL THEN id END)
                       id, event_id, event_type, reason, errors, body, fingerprint, attempts, first_received_at,
                       last_received_at, replay_outcome, replayed_at
                FROM rejected_events ORDER BY event_id, reason, fingerprint, CASE WHEN event_id IS NULL THEN id END, received_month DESC;
                SELECT setval(pg_get_serial_sequence('rejected_events_unpartitioned', 'id'), coalesce(max(id), 0) + 1, false) FROM rejected_events;
                DROP TABLE rejected_events;
                ALTER TABLE rejected_events_unpartitioned RENAME TO rejected_events;
                ALTER SEQUENCE rejected_events_unpartitioned_id_seq RENAME TO rejected_events_id_seq;
                ALTER TABLE rejected_events ADD CONSTRAINT "PK_rejected_events" PRIMARY KEY (id);
                CREATE UNIQUE INDEX "IX_rejected_events_event_id_reason_fingerprint" ON rejected_events (event_id, reason, fingerprint);
                CREATE INDEX "IX_rejected_events_last_received_at" ON rejected_events (last_received_at);
                """);
        }
    }
}
