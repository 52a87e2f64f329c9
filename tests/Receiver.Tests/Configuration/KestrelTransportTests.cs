using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Configuration;

/// <summary>
/// How Kestrel schedules a connection's work (docs/performance.md, Hand-overs). The tests that run the receiver as a
/// process over real sockets (hostile inputs, faults under load, graceful shutdown, feed streams) run with it.
/// </summary>
public sealed class KestrelTransportTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("true")]
    [InlineData("false")]
    public async Task A_request_runs_on_the_thread_that_received_it_unless_Http_InlineScheduling_says_otherwise(string? setting)
    {
        await using var app = ReceiverApp.With(setting is null ? [] : new Dictionary<string, string?> { ["Http:InlineScheduling"] = setting });
        await app.InitializeAsync();

        var transport = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;

        Assert.Equal(setting is null ? !OperatingSystem.IsWindows() : bool.Parse(setting), transport.UnsafePreferInlineScheduling);
    }
}
