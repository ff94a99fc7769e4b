using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// The libraries' logs (registry requests, retries, token requests, redirects) on stderr, as much as
/// <c>--verbose</c>/<c>--debug</c> ask for; nothing by default. The libraries log URLs without query or credentials.
/// </summary>
internal sealed class StderrLogger<T>(CliContext context, Verbosity verbosity) : ILogger<T>
{
    private readonly Lock _gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && verbosity switch
    {
        Verbosity.Debug => true,
        Verbosity.Verbose => logLevel >= LogLevel.Debug,
        _ => false,
    };

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (exception is not null)
        {
            message = verbosity == Verbosity.Debug ? $"{message}: {exception}" : $"{message}: {exception.Message}";
        }

        lock (_gate)
        {
            context.Error.WriteLine(message, Style.Plain);
        }
    }
}
