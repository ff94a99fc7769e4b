using System.CommandLine;
using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Authoring;

/// <summary>Runs the real <c>wasme</c> command tree in-process and captures what a user would see.</summary>
internal sealed class AuthoringCli
{
    private readonly Dictionary<string, string?> _environment;

    public AuthoringCli(string home)
    {
        _environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
            // npm needs its cache and config from the real home, not the test's empty one.
            ["npm_config_cache"] = Environment.GetEnvironmentVariable("npm_config_cache")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".npm"),
        };
    }

    public TestConsole Out { get; private set; } = new();

    public TestConsole Error { get; private set; } = new();

    public AuthoringCli WithEnvironment(string name, string? value)
    {
        _environment[name] = value;
        return this;
    }

    public async Task<int> RunAsync(params string[] args) => await RunAsync(interactive: false, null, args);

    public async Task<int> RunAsync(bool interactive, Action<TestConsole>? input, params string[] args)
    {
        Out = new TestConsole().Width(400);
        Error = new TestConsole().Width(400);
        if (interactive)
        {
            Out.Interactive();
            input?.Invoke(Out);
        }

        var context = new CliContext
        {
            Out = Out,
            Error = Error,
            GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            TimeProvider = TimeProvider.System,
            IsInteractive = interactive,
        };
        return await WasmeRootCommand.Create(context).Parse(args).InvokeAsync(new InvocationConfiguration(), CancellationToken.None);
    }
}
