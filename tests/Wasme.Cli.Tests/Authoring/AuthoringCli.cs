using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Authoring;

/// <summary>A <see cref="CliRunner"/> for init and build: its own HOME, the real PATH and npm cache.</summary>
internal static class AuthoringCli
{
    public static CliRunner Create(string home) => new CliRunner()
        .WithEnvironment("HOME", home)
        .WithEnvironment("PATH", Environment.GetEnvironmentVariable("PATH"))
        // npm needs its cache and config from the real home, not the test's empty one.
        .WithEnvironment("npm_config_cache", Environment.GetEnvironmentVariable("npm_config_cache")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".npm"));
}
