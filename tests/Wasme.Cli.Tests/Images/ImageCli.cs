using System.CommandLine;
using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Images;

/// <summary>Runs the real <c>wasme</c> command tree in-process with its own HOME and store; captures output.</summary>
internal sealed class ImageCli : IDisposable
{
    private readonly Dictionary<string, string?> _environment;

    public ImageCli()
    {
        Home = Directory.CreateTempSubdirectory("wasme-cli-home-").FullName;
        Store = Path.Combine(Home, "store");
        _environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = Home,
            ["WASME_STORE"] = Store,
            ["DOCKER_CONFIG"] = Path.Combine(Home, ".docker"),
        };
    }

    public string Home { get; }

    public string Store { get; }

    public TestConsole Out { get; private set; } = new();

    public TestConsole Error { get; private set; } = new();

    /// <summary>Sets a variable the commands see (the process environment stays untouched).</summary>
    public ImageCli WithEnvironment(string name, string? value)
    {
        _environment[name] = value;
        return this;
    }

    /// <summary>Run as if on a terminal: interactive, and stderr understands ANSI (progress bars).</summary>
    public bool Terminal { get; set; }

    public async Task<int> RunAsync(params string[] args)
    {
        Out = new TestConsole().Width(400);
        Error = new TestConsole().Width(400);
        if (Terminal)
        {
            Error.SupportsAnsi(true).Interactive();
        }

        var context = new CliContext
        {
            Out = Out,
            Error = Error,
            GetEnvironmentVariable = name => _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            TimeProvider = TimeProvider.System,
            IsInteractive = Terminal,
        };
        return await WasmeRootCommand.Create(context).Parse(args).InvokeAsync(new InvocationConfiguration(), CancellationToken.None);
    }

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
