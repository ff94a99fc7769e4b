using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Support;

/// <summary>
/// Runs the real <c>wasme</c> command tree in-process and captures stdout and stderr as a user would
/// see them. Variables set with <see cref="WithEnvironment"/> shadow the process environment for the
/// commands only; the process environment is never changed.
/// </summary>
internal sealed class CliRunner
{
    private const int Width = 1000;
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);

    public TestConsole Out { get; private set; } = new();

    public TestConsole Error { get; private set; } = new();

    /// <summary>The commands' clock (time limits, ages); the real one unless a test fakes it.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Run as if on a terminal: interactive (prompts), and stderr understands ANSI (progress bars).</summary>
    public bool Terminal { get; set; }

    /// <summary>Sets (or, with null, hides) a variable the commands see.</summary>
    public CliRunner WithEnvironment(string name, string? value)
    {
        _environment[name] = value;
        return this;
    }

    public Task<int> RunAsync(params string[] args) => RunAsync(Terminal, null, args);

    /// <summary>Runs until the command ends or <paramref name="cancellationToken"/> stops it, as Ctrl+C would (daemons).</summary>
    public Task<int> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        Out = new TestConsole().Width(Width);
        Error = new TestConsole().Width(Width);
        return WasmeApplication.RunAsync(NewContext(interactive: false), args, cancellationToken);
    }

    /// <summary>Runs with prompts allowed when <paramref name="interactive"/>; <paramref name="input"/> queues the answers.</summary>
    public async Task<int> RunAsync(bool interactive, Action<TestConsole>? input, params string[] args)
    {
        Out = new TestConsole().Width(Width);
        Error = new TestConsole().Width(Width);
        if (interactive)
        {
            Out.Interactive();
            Error.SupportsAnsi(true).Interactive();
            input?.Invoke(Out);
        }

        // Exactly what the program runs: its parse-error path (exit 2, typo hints), help on Out, failures reported.
        return await WasmeApplication.RunAsync(NewContext(interactive), args, CancellationToken.None);
    }

    /// <summary>The same as <see cref="RunAsync(string[])"/>: kept for the tests that name the program's path.</summary>
    public Task<int> RunProgramAsync(params string[] args) => RunAsync(interactive: false, null, args);

    private CliContext NewContext(bool interactive) =>
        new CliContext
        {
            Out = Out,
            Error = Error,
            GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            TimeProvider = Clock,
            IsInteractive = interactive,
        };
}
