using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Receiver.Feed;
using Receiver.Ingest;
using Receiver.Storage;
using Receiver.Telemetry;

namespace Receiver.Bench;

/// <summary>
/// The receiver's own services for its storage path (data source settings, EventStore, the group-commit EventWriter
/// and the feed signal it tells), built without starting its server. Logs go to standard error, warnings and worse:
/// standard output carries the bench's figures alone.
/// </summary>
internal static class ReceiverWiring
{
    public static WebApplication Build(string connection)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["ConnectionStrings:Receiver"] = connection;
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddStorage();
        builder.Services.AddFeed();
        builder.Services.AddIngest();
        builder.AddTelemetry();
        return builder.Build();
    }
}
