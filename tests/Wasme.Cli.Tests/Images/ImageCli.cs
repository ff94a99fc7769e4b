using System.CommandLine;
using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Images;

/// <summary>Runs the real <c>wasme</c> command tree in-process with its own HOME and store; captures output.</summary>
internal sealed class ImageCli : IDisposable
{
    public ImageCli()
    {
        Home = Directory.CreateTempSubdirectory("wasme-cli-home-").FullName;
        Store = Path.Combine(Home, "store");
    }

    public string Home { get; }

    public string Store { get; }

    public TestConsole Out { get; private set; } = new();

    public TestConsole Error { get; private set; } = new();

    public async Task<int> RunAsync(params string[] args)
    {
        Out = new TestConsole().Width(400);
        Error = new TestConsole().Width(400);
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["WASME_STORE"] = Store,
            ["DOCKER_CONFIG"] = Path.Combine(Home, ".docker"),
        };
        var context = new CliContext
        {
            Out = Out,
            Error = Error,
            GetEnvironmentVariable = name => environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            TimeProvider = TimeProvider.System,
            IsInteractive = false,
        };
        return await WasmeRootCommand.Create(context).Parse(args).InvokeAsync(new InvocationConfiguration(), CancellationToken.None);
    }

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
