using Spectre.Console;

namespace Wasme.Cli;

/// <summary>
/// What every command needs from its surroundings: console streams and the environment.
/// Injected so tests can run commands in-process and read what a user would see.
/// </summary>
public sealed class CliContext
{
    public required IAnsiConsole Out { get; init; }
    public required IAnsiConsole Error { get; init; }
    public required Func<string, string?> GetEnvironmentVariable { get; init; }
    public required TimeProvider TimeProvider { get; init; }

    /// <summary>True when standard input and output are a terminal (prompts and progress bars allowed).</summary>
    public required bool IsInteractive { get; init; }

    // Spectre assumes 80 columns when output is redirected and wraps there, splitting digests and
    // references in logs and pipes; redirected output gets lines as long as their content instead.
    private const int RedirectedWidth = 4096;

    public static CliContext CreateDefault() => new()
    {
        Out = Console.IsOutputRedirected ? WithWidth(AnsiConsole.Console, RedirectedWidth) : AnsiConsole.Console,
        Error = WithWidth(
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }),
            Console.IsErrorRedirected ? RedirectedWidth : null),
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        TimeProvider = TimeProvider.System,
        IsInteractive = !Console.IsInputRedirected && !Console.IsOutputRedirected,
    };

    private static IAnsiConsole WithWidth(IAnsiConsole console, int? width)
    {
        if (width is { } columns)
        {
            console.Profile.Width = columns;
        }

        return console;
    }
}
