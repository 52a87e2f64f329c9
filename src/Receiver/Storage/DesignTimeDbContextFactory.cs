using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Receiver.Storage.Schema;

namespace Receiver.Storage;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the app or reaching a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ReceiverDbContext>
{
    public ReceiverDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ReceiverDbContext>()
            .UseNpgsql("Host=localhost;Database=receiver")
            .Options);
}
