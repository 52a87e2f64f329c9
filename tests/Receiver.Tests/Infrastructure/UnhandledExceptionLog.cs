using Microsoft.Extensions.Logging;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// Appends every error ASP.NET logs in the apps under test (each exception answered 500 among them) to the file named
/// by <c>RECEIVER_TEST_UNHANDLED_LOG</c>, which <c>scripts/test</c> prints when a run fails: a test that got an
/// unexpected 500 then shows why.
/// </summary>
internal sealed class UnhandledExceptionLog(string path) : ILoggerProvider, ILogger
{
    private static readonly Lock Writing = new();

    public static string? Path => Environment.GetEnvironmentVariable("RECEIVER_TEST_UNHANDLED_LOG");

    public ILogger CreateLogger(string categoryName) =>
        // The exception handler's (a 500), and Kestrel's for an exception after the response began.
        categoryName.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) ? this : NullLogger;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (Writing) File.AppendAllText(path, $"{DateTimeOffset.UtcNow:O} {formatter(state, exception)}{Environment.NewLine}{exception}{Environment.NewLine}");
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// The same for an app run as its own process (<see cref="ReceiverProcess"/>): what it printed, when the exception
    /// handler or Kestrel logged an error there, from its first such line on.
    /// </summary>
    public static void AppendProcessOutput(string output)
    {
        var first = output.IndexOf("fail: Microsoft.AspNetCore.", StringComparison.Ordinal);
        if (Path is not { } path || first < 0) return;
        lock (Writing) File.AppendAllText(path, $"{DateTimeOffset.UtcNow:O} a receiver process printed:{Environment.NewLine}{output[first..]}{Environment.NewLine}");
    }

    private static readonly ILogger NullLogger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}
