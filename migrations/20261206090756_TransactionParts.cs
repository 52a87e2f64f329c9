using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class TransactionParts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_transactions_head_seq",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_open_head_seq",
                table: "transactions",
                column: "head_seq",
                filter: "status <> ALL ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" },
                filter: "status <> ALL ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_terminal_head_seq",
                table: "transactions",
                column: "head_seq",
                filter: "status = ANY ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" },
                filter: "status = ANY ('{completed,error,expired,no_market,refunded,too_large,too_small}'::text[])");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_transactions_open_head_seq",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_open_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_terminal_head_seq",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_terminal_order_key_id",
                table: "transactions");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_head_seq",
                table: "transactions",
                column: "head_seq");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" });
        }
    }
}
