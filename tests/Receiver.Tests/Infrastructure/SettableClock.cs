namespace Receiver.Tests.Infrastructure;

/// <summary>The system clock moved by <see cref="Offset"/>: replaces the app's <see cref="TimeProvider"/> to cross a deadline at once.</summary>
public sealed class SettableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
