using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receiver.Migrations
{
    /// <inheritdoc />
    public partial class QueryApi : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "seq",
                table: "quotes",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Quotes stored before this migration take the sequence number of the event that created them.
            migrationBuilder.Sql("UPDATE quotes AS q SET seq = e.seq FROM events AS e WHERE e.id = q.event_id;");

            migrationBuilder.CreateTable(
                name: "receiver_keys",
                columns: table => new
                {
                    name = table.Column<string>(type: "text", nullable: false),
                    key = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_receiver_keys", x => x.name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_quotes_seq",
                table: "quotes",
                column: "seq");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "receiver_keys");

            migrationBuilder.DropIndex(
                name: "IX_quotes_seq",
                table: "quotes");

            migrationBuilder.DropColumn(
                name: "seq",
                table: "quotes");
        }
    }
}
