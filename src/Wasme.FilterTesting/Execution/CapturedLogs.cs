using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wasme.FilterTesting.Execution;

/// <summary>One line a filter (or the host about a filter) logged during a case.</summary>
public sealed record LogLine(LogLevel Level, int EventId, string Category, string Text);

/// <summary>Collects every log line of a case: the filters' <c>proxy_log</c> and the host's messages about them.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue(new LogLine(logLevel, eventId.Id, category, formatter(state, exception)));
    }
}
