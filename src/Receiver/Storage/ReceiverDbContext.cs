using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Receiver.Storage;

public sealed class ReceiverDbContext(DbContextOptions<ReceiverDbContext> options) : DbContext(options)
{
    public DbSet<StoredEvent> Events => Set<StoredEvent>();
    public DbSet<RejectedEvent> RejectedEvents => Set<RejectedEvent>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<StoredEvent>(e =>
        {
            e.ToTable("events");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.TransactionId);
            e.Property(x => x.ReceivedAt).HasDefaultValueSql("now()");
        });

        model.Entity<RejectedEvent>(e =>
        {
            e.ToTable("rejected_events");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.Property(x => x.Errors).HasColumnType("jsonb");
            e.Property(x => x.Attempts).HasDefaultValue(1);
            // NULL event ids never conflict, so bodies without a readable id are each kept.
            e.HasIndex(x => new { x.EventId, x.Reason, x.Fingerprint }).IsUnique();
            e.HasIndex(x => x.LastReceivedAt);
        });

        // PostgreSQL's own convention: snake_case for every table, column and index.
        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
                property.SetColumnName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
        }
    }
}
