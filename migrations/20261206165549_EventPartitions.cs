using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class EventPartitions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "event_ids",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "nextval('event_seq')"),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_event_ids", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "expired_partitions",
                columns: table => new
                {
                    name = table.Column<string>(type: "text", nullable: false),
                    last_seq = table.Column<long>(type: "bigint", nullable: true),
                    dropped_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_expired_partitions", x => x.name);
                });
            // events becomes partitioned by month on received_at, which EF does not model: a new table with the same
            // columns and defaults, the months its rows need and the next three, the rows copied (in this migration's
            // transaction), every id recorded in event_ids, then the names swapped. The sequence event_seq is not the
            // table's: it stays, and the feed's numbers go on from where they were.
            // The lock first: an instance of the old release still serving would otherwise commit an event after the
            // copy's snapshot, to be dropped with the old table. With it, such an insert waits, then fails (503) and AP
            // retries it into the new table.
            migrationBuilder.Sql("""
                LOCK TABLE events IN EXCLUSIVE MODE;
                CREATE TABLE events_partitioned (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (received_at);
                DO $$
                DECLARE month timestamp;
                BEGIN
                    FOR month IN SELECT generate_series(
                        date_trunc('month', coalesce((SELECT min(received_at) FROM events), now()) AT TIME ZONE 'UTC'),
                        date_trunc('month', greatest((SELECT max(received_at) FROM events), now()) AT TIME ZONE 'UTC') + interval '3 months',
                        interval '1 month')
                    LOOP
                        EXECUTE format('CREATE TABLE %I PARTITION OF events_partitioned FOR VALUES FROM (%L) TO (%L)',
                            'events_' || to_char(month, 'YYYY_MM'), month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
                    END LOOP;
                END $$;
                INSERT INTO events_partitioned SELECT * FROM events;
                INSERT INTO event_ids (id, seq, received_at) SELECT id, seq, received_at FROM events;
                DROP TABLE events;
                ALTER TABLE events_partitioned RENAME TO events;
                ALTER TABLE events ADD CONSTRAINT "PK_events" PRIMARY KEY (seq, received_at);
                CREATE INDEX "IX_events_transaction_id_order_key_seq" ON events (transaction_id, order_key, seq);
                CREATE INDEX "IX_events_anchor_seq" ON events (anchor, seq) WHERE anchor <> '';
                CREATE INDEX "IX_events_customer_id_seq" ON events (customer_id, seq) WHERE customer_id IS NOT NULL AND anchor <> '';
                CREATE INDEX "IX_events_transaction_id_seq" ON events (transaction_id, seq) WHERE transaction_id IS NOT NULL AND anchor <> '';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one unpartitioned table keyed by id, with the events still retained.
            migrationBuilder.Sql("""
                CREATE TABLE events_unpartitioned (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
                INSERT INTO events_unpartitioned SELECT * FROM events;
                DROP TABLE events;
                ALTER TABLE events_unpartitioned RENAME TO events;
                ALTER TABLE events ADD CONSTRAINT "PK_events" PRIMARY KEY (id);
                CREATE UNIQUE INDEX "IX_events_seq" ON events (seq);
                CREATE INDEX "IX_events_transaction_id_order_key_seq" ON events (transaction_id, order_key, seq);
                CREATE INDEX "IX_events_anchor_seq" ON events (anchor, seq) WHERE anchor <> '';
                CREATE INDEX "IX_events_customer_id_seq" ON events (customer_id, seq) WHERE customer_id IS NOT NULL AND anchor <> '';
                CREATE INDEX "IX_events_transaction_id_seq" ON events (transaction_id, seq) WHERE transaction_id IS NOT NULL AND anchor <> '';
                """);

            migrationBuilder.DropTable(
                name: "event_ids");

            migrationBuilder.DropTable(
                name: "expired_partitions");
        }
    }
}
