using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class Anchors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_transactions",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_status_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions");

            migrationBuilder.DropPrimaryKey(
                name: "PK_customers",
                table: "customers");

            migrationBuilder.AddColumn<string>(
                name: "anchor",
                table: "transactions",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "anchor",
                table: "events",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "anchor",
                table: "customers",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddPrimaryKey(
                name: "PK_transactions",
                table: "transactions",
                columns: new[] { "id", "anchor" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_customers",
                table: "customers",
                columns: new[] { "id", "anchor" });

            migrationBuilder.CreateIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id", "anchor" },
                filter: "status <> ALL ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_status_order_key_id_anchor",
                table: "transactions",
                columns: new[] { "status", "order_key", "id", "anchor" });

            migrationBuilder.CreateIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id", "anchor" },
                filter: "status = ANY ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_events_anchor_seq",
                table: "events",
                columns: new[] { "anchor", "seq" },
                filter: "anchor <> ''");

            migrationBuilder.CreateIndex(
                name: "IX_events_customer_id_seq",
                table: "events",
                columns: new[] { "customer_id", "seq" },
                filter: "customer_id IS NOT NULL AND anchor <> ''");

            migrationBuilder.CreateIndex(
                name: "IX_events_transaction_id_seq",
                table: "events",
                columns: new[] { "transaction_id", "seq" },
                filter: "transaction_id IS NOT NULL AND anchor <> ''");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_transactions",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_status_order_key_id_anchor",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_events_anchor_seq",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_events_customer_id_seq",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_events_transaction_id_seq",
                table: "events");

            migrationBuilder.DropPrimaryKey(
                name: "PK_customers",
                table: "customers");

            migrationBuilder.DropColumn(
                name: "anchor",
                table: "transactions");

            migrationBuilder.DropColumn(
                name: "anchor",
                table: "events");

            migrationBuilder.DropColumn(
                name: "anchor",
                table: "customers");

            migrationBuilder.AddPrimaryKey(
                name: "PK_transactions",
                table: "transactions",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "PK_customers",
                table: "customers",
                column: "id");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" },
                filter: "status <> ALL ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_status_order_key_id",
                table: "transactions",
                columns: new[] { "status", "order_key", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" },
                filter: "status = ANY ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");
        }
    }
}
