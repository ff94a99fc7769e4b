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

    public static CliContext CreateDefault() => new()
    {
        Out = AnsiConsole.Console,
        Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }),
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        TimeProvider = TimeProvider.System,
        IsInteractive = !Console.IsInputRedirected && !Console.IsOutputRedirected,
    };
}
