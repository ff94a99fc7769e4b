using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wasme.ProxyWasm.Tests.Infrastructure;

/// <summary>Collects every log line, and lets a test await a line that arrives from another thread.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];

    public LogLevel MinimumLevel { get; set; } = LogLevel.Trace;

    public IReadOnlyCollection<(string Category, LogLevel Level, string Message)> Entries => _entries;

    public IEnumerable<string> Messages => _entries.Select(e => e.Message);

    public Task<string> WaitFor(Func<string, bool> match)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            foreach (var entry in _entries)
            {
                if (match(entry.Message))
                {
                    done.SetResult(entry.Message);
                    return done.Task;
                }
            }

            _waiters.Add((match, done));
        }

        return done.Task;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, string message)
    {
        _entries.Enqueue((category, level, message));
        lock (_waiters)
        {
            foreach (var (match, done) in _waiters)
            {
                if (match(message))
                {
                    done.TrySetResult(message);
                }
            }
        }
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Add(category, logLevel, formatter(state, exception));
            }
        }
    }
}
