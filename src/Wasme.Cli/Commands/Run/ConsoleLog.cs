using Microsoft.Extensions.Logging;

namespace Wasme.Cli.Commands.Run;

/// <summary>
/// Writes proxy and filter logs as plain lines (<c>info  [add_header] message</c>) to a writer, so filter output
/// reads like Envoy's console without the framework's category prefixes.
/// </summary>
internal sealed class ConsoleLog(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var label = level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info ",
            LogLevel.Warning => "warn ",
            LogLevel.Error => "error",
            _ => "crit ",
        };
        lock (_gate)
        {
            writer.WriteLine(exception is null ? $"{label} {message}" : $"{label} {message}: {exception.Message}");
            writer.Flush();
        }
    }

    private sealed class Logger(ConsoleLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }

    private readonly LogLevel _minimum = minimum;
}
