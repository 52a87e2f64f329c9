using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Receiver.Storage.Schema;

/// <summary>
/// The schema, as an EF Core model: the migrations (migrations/) are made from it and applied at start. Schema only:
/// no store reads or writes through it or its entity classes (the stores' SQL does); at run time the context only
/// migrates (StorageSetup) and tells whether the database answers (Health).
/// </summary>
public sealed class ReceiverDbContext(DbContextOptions<ReceiverDbContext> options) : DbContext(options)
{
    public DbSet<StoredEvent> Events => Set<StoredEvent>();
    public DbSet<RejectedEvent> RejectedEvents => Set<RejectedEvent>();
    public DbSet<TransactionState> Transactions => Set<TransactionState>();
    public DbSet<QuoteState> Quotes => Set<QuoteState>();
    public DbSet<CustomerState> Customers => Set<CustomerState>();
    public DbSet<SharedKey> SharedKeys => Set<SharedKey>();
    public DbSet<ReconciliationRunRecord> ReconciliationRuns => Set<ReconciliationRunRecord>();
    public DbSet<KnownEventId> EventIds => Set<KnownEventId>();
    public DbSet<ExpiredPartition> ExpiredPartitions => Set<ExpiredPartition>();
    public DbSet<StoredAuditRecord> AuditRecords => Set<StoredAuditRecord>();

    public const string EventSequence = "event_seq";

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.HasSequence<long>(EventSequence);

        model.Entity<StoredEvent>(e =>
        {
            // Partitioned by month on received_at (migration EventPartitions, Storage/EventPartitions.cs), which EF
            // does not model: a partitioned table's unique keys must hold the partition key, so the key is
            // (seq, received_at), whose index also serves the feed's reads by seq, and "once by id" is event_ids' key.
            e.ToTable("events");
            e.HasKey(x => new { x.Seq, x.ReceivedAt });
            e.Property(x => x.Id).IsRequired();
            e.Property(x => x.Seq).HasDefaultValueSql($"nextval('{EventSequence}')");
            // A transaction's timeline, and its state as of a sequence number.
            e.HasIndex(x => new { x.TransactionId, x.OrderKey, x.Seq });
            e.Property(x => x.ReceivedAt).HasDefaultValueSql("now()");
            e.Property(x => x.Source).HasDefaultValue(EventSources.Ap);
            e.Property(x => x.Anchor).HasDefaultValue("");
            // A wallet's anchor's feed, and a customer's and a transaction's last callbacks. Partial: a receiver that is
            // no wallet has none.
            e.HasIndex(x => new { x.Anchor, x.Seq }).HasFilter("anchor <> ''");
            e.HasIndex(x => new { x.CustomerId, x.Seq }).HasFilter("customer_id IS NOT NULL AND anchor <> ''");
            e.HasIndex(x => new { x.TransactionId, x.Seq }).HasFilter("transaction_id IS NOT NULL AND anchor <> ''");
        });

        model.Entity<KnownEventId>(e =>
        {
            e.ToTable("event_ids");
            e.HasKey(x => x.Id);
            // Drawn here, in the statement that decides whether an id is new (EventStore), and copied into events.
            e.Property(x => x.Seq).HasDefaultValueSql($"nextval('{EventSequence}')");
        });

        model.Entity<ExpiredPartition>(e =>
        {
            e.ToTable("expired_partitions");
            e.HasKey(x => x.Name);
        });

        model.Entity<TransactionState>(e =>
        {
            e.ToTable("transactions");
            // Each anchor makes its own ids: a wallet's anchors may reuse one another's. The id first, so that a lookup by
            // id alone (the query API without ?anchor=) reads the key too.
            e.HasKey(x => new { x.Id, x.Anchor });
            e.Property(x => x.Anchor).HasDefaultValue("");
            e.Property(x => x.Snapshot).HasColumnType("jsonb");
            // The two indexes whose key every update moves are split in two by status (TransactionParts): terminal
            // transactions no longer change, so their entries are written once and stay dense; the churn of updates
            // stays in the open part, which holds the few transactions under way. docs/performance.md.
            foreach (var (part, predicate) in new[] { ("terminal", TransactionParts.Terminal()), ("open", TransactionParts.Open()) })
            {
                // The list's order, read backwards (newest first) from a cursor on. Ascending, so that the newest key,
                // which every update writes, lands on the rightmost leaf page, which PostgreSQL fills to 90 % before it
                // splits (any other page splits half and half).
                e.HasIndex(x => new { x.OrderKey, x.Id, x.Anchor }, $"IX_transactions_{part}_order_key_id").HasFilter(predicate);
                // The transactions changed after a list's pin.
                e.HasIndex(x => x.HeadSeq, $"IX_transactions_{part}_head_seq").HasFilter(predicate);
            }
            // status = one value, in the list's order. Not split: its key already keeps each status apart.
            e.HasIndex(x => new { x.Status, x.OrderKey, x.Id, x.Anchor });
            // Not split: an open part's GIN index would hold the dead entries of every update until a vacuum, which
            // the planner's estimates do not see (docs/performance.md).
            e.HasIndex(x => x.Assets).HasMethod("gin");
            e.HasIndex(x => x.Accounts).HasMethod("gin");
            e.HasIndex(x => x.CustomerIds).HasMethod("gin");
        });

        model.Entity<QuoteState>(e =>
        {
            e.ToTable("quotes");
            e.Property(x => x.Snapshot).HasColumnType("jsonb");
            e.HasIndex(x => x.Seq);
            e.HasIndex(x => new { x.OrderKey, x.Id }).IsDescending();
        });

        model.Entity<CustomerState>(e =>
        {
            e.ToTable("customers");
            e.HasKey(x => new { x.Id, x.Anchor });
            e.Property(x => x.Anchor).HasDefaultValue("");
            e.Property(x => x.UpdateCount).HasDefaultValue(0);
        });

        model.Entity<SharedKey>(e =>
        {
            e.ToTable("receiver_keys");
            e.HasKey(x => x.Name);
        });

        model.Entity<RejectedEvent>(e =>
        {
            // Partitioned by month on received_month, like events (migration RejectedEventPartitions): its keys hold it.
            e.ToTable("rejected_events");
            e.HasKey(x => new { x.Id, x.ReceivedMonth });
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.Property(x => x.Errors).HasColumnType("jsonb");
            e.Property(x => x.Attempts).HasDefaultValue(1);
            // NULL event ids never conflict, so bodies without a readable id are each kept.
            e.HasIndex(x => new { x.EventId, x.Reason, x.Fingerprint, x.ReceivedMonth }).IsUnique();
            e.HasIndex(x => x.LastReceivedAt);
        });

        model.Entity<ReconciliationRunRecord>(e =>
        {
            e.ToTable("reconciliation_runs");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.Property(x => x.Errors).HasColumnType("jsonb");
            // The schedule asks for the newest start on every tick.
            e.HasIndex(x => x.StartedAt);
        });

        model.Entity<StoredAuditRecord>(e =>
        {
            e.ToTable("audit_records");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            // The retention sweep deletes by time, and GET /audit filters by it.
            e.HasIndex(x => x.RequestedAt);
            // GET /audit?caller=: one caller's records in the list's order.
            e.HasIndex(x => new { x.Caller, x.Id });
        });

        // PostgreSQL's own convention: snake_case for every table, column and index.
        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
                property.SetColumnName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
        }
    }
}
