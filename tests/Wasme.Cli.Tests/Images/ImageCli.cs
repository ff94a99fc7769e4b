using Spectre.Console.Testing;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Images;

/// <summary>A <see cref="CliRunner"/> with its own HOME, store, Docker config and runtime (containers auth) directories, deleted on dispose.</summary>
internal sealed class ImageCli : IDisposable
{
    private readonly CliRunner _runner = new();

    public ImageCli()
    {
        Home = Directory.CreateTempSubdirectory("wasme-cli-home-").FullName;
        Store = Path.Combine(Home, "store");
        _runner.WithEnvironment("HOME", Home)
            .WithEnvironment("WASME_STORE", Store)
            .WithEnvironment("DOCKER_CONFIG", Path.Combine(Home, ".docker"))
            .WithEnvironment("XDG_RUNTIME_DIR", Path.Combine(Home, "run"))
            .WithEnvironment("REGISTRY_AUTH_FILE", null);
    }

    public string Home { get; }

    public string Store { get; }

    public TestConsole Out => _runner.Out;

    public TestConsole Error => _runner.Error;

    /// <inheritdoc cref="CliRunner.Terminal"/>
    public bool Terminal
    {
        get => _runner.Terminal;
        init => _runner.Terminal = value;
    }

    /// <inheritdoc cref="CliRunner.WithEnvironment"/>
    public ImageCli WithEnvironment(string name, string? value)
    {
        _runner.WithEnvironment(name, value);
        return this;
    }

    public Task<int> RunAsync(params string[] args) => _runner.RunAsync(args);

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
