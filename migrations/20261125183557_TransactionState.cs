using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class TransactionState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_events_transaction_id",
                table: "events");

            migrationBuilder.CreateSequence(
                name: "event_seq");

            migrationBuilder.AddColumn<string>(
                name: "replay_outcome",
                table: "rejected_events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "replayed_at",
                table: "rejected_events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "accounts",
                table: "events",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "assets",
                table: "events",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "customer_ids",
                table: "events",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "event_timestamp",
                table: "events",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "order_key",
                table: "events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sep",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "seq",
                table: "events",
                type: "bigint",
                nullable: false,
                defaultValueSql: "nextval('event_seq')");

            migrationBuilder.AddColumn<string>(
                name: "status",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "updated_at",
                table: "events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "customers",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    first_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    update_count = table.Column<int>(type: "integer", nullable: false, defaultValue: 0)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_customers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "quotes",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    sell_asset = table.Column<string>(type: "text", nullable: true),
                    buy_asset = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    order_key = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    snapshot = table.Column<string>(type: "jsonb", nullable: false),
                    event_id = table.Column<string>(type: "text", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_quotes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "transactions",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    sep = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    order_key = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    head_seq = table.Column<long>(type: "bigint", nullable: false),
                    head_event_id = table.Column<string>(type: "text", nullable: false),
                    snapshot = table.Column<string>(type: "jsonb", nullable: false),
                    assets = table.Column<string[]>(type: "text[]", nullable: false),
                    accounts = table.Column<string[]>(type: "text[]", nullable: false),
                    customer_ids = table.Column<string[]>(type: "text[]", nullable: false),
                    changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_transactions", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_events_seq",
                table: "events",
                column: "seq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_events_transaction_id_order_key_seq",
                table: "events",
                columns: new[] { "transaction_id", "order_key", "seq" });

            migrationBuilder.CreateIndex(
                name: "IX_quotes_order_key_id",
                table: "quotes",
                columns: new[] { "order_key", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "IX_transactions_accounts",
                table: "transactions",
                column: "accounts")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_assets",
                table: "transactions",
                column: "assets")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_customer_ids",
                table: "transactions",
                column: "customer_ids")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_head_seq",
                table: "transactions",
                column: "head_seq");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "IX_transactions_status",
                table: "transactions",
                column: "status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "customers");

            migrationBuilder.DropTable(
                name: "quotes");

            migrationBuilder.DropTable(
                name: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_events_seq",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_events_transaction_id_order_key_seq",
                table: "events");

            migrationBuilder.DropColumn(
                name: "replay_outcome",
                table: "rejected_events");

            migrationBuilder.DropColumn(
                name: "replayed_at",
                table: "rejected_events");

            migrationBuilder.DropColumn(
                name: "accounts",
                table: "events");

            migrationBuilder.DropColumn(
                name: "assets",
                table: "events");

            migrationBuilder.DropColumn(
                name: "customer_ids",
                table: "events");

            migrationBuilder.DropColumn(
                name: "event_timestamp",
                table: "events");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "events");

            migrationBuilder.DropColumn(
                name: "order_key",
                table: "events");

            migrationBuilder.DropColumn(
                name: "sep",
                table: "events");

            migrationBuilder.DropColumn(
                name: "seq",
                table: "events");

            migrationBuilder.DropColumn(
                name: "status",
                table: "events");

            migrationBuilder.DropColumn(
                name: "updated_at",
                table: "events");

            migrationBuilder.DropSequence(
                name: "event_seq");

            migrationBuilder.CreateIndex(
                name: "IX_events_transaction_id",
                table: "events",
                column: "transaction_id");
        }
    }
}
