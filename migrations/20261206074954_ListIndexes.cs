using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class ListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_status",
                table: "transactions");

            migrationBuilder.CreateIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions",
                columns: new[] { "order_key", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_transactions_status_order_key_id",
                table: "transactions",
                columns: new[] { "status", "order_key", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_transactions_order_key_id",
                table: "transactions");

            migrationBuilder.DropIndex(
                name: "IX_transactions_status_order_key_id",
                table: "transactions");

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
    }
}
