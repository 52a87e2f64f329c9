using System.Collections;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Receiver.Tests.Infrastructure;

public sealed record LogLine(LogLevel Level, string Category, string Text);

/// <summary>
/// A logger provider that keeps every line at every level, with all that any sink could write: the message, its
/// structured values, the exception with its inner exceptions, and the scopes (request path, trace ids, ...).
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<LogLine> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder(formatter(state, exception));
            Append(text, state);
            if (exception is not null) text.Append(" | ").Append(exception);
            owner._scopes.ForEachScope((scope, line) => Append(line.Append(" =>"), scope), text);
            owner._lines.Enqueue(new LogLine(logLevel, category, text.ToString()));
        }

        /// <summary>An object as text, and each of its structured values (JSON formatters and OpenTelemetry write those).</summary>
        private static void Append(StringBuilder line, object? value)
        {
            line.Append(' ').Append(value);
            if (value is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, item) in values)
                    line.Append(' ').Append(key).Append('=').Append(item is IEnumerable list and not string ? string.Join(",", list.Cast<object?>()) : item);
        }
    }
}
