using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Inputs;

/// <summary>
/// The files wasme reads without a data flag naming them, or that name keys and roots (the Docker config, a kubeconfig,
/// a Sigstore trusted root): an endless device or a huge file is one line and exit 2, as for every other input file,
/// instead of a read that takes all the memory.
/// </summary>
public sealed class ConfigFileBoundTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_docker_config_that_never_ends_is_refused_at_the_bound()
    {
        // DOCKER_CONFIG/config.json linked to /dev/zero: it reports length 0, so the length check passed it.
        var dockerConfig = _temp.Combine("docker");
        Directory.CreateDirectory(dockerConfig);
        File.CreateSymbolicLink(Path.Combine(dockerConfig, "config.json"), "/dev/zero");
        var cli = new CliRunner().WithEnvironment("DOCKER_CONFIG", dockerConfig).WithEnvironment("HOME", _temp.Path);

        var code = await cli.RunAsync("logout", "localhost:5000");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"{Path.Combine(dockerConfig, "config.json")} is larger than 1 MiB", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kubeconfig_that_never_ends_is_refused_at_the_bound()
    {
        var cli = new CliRunner().WithEnvironment("KUBECONFIG", null).WithEnvironment("HOME", _temp.Path);

        var code = await cli.RunAsync("undeploy", "istio", "--id=myfilter", "--namespace=bookinfo", "--kubeconfig", "/dev/zero");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("/dev/zero is larger than 16 MiB", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kubeconfig_variable_naming_a_huge_file_is_refused_at_the_bound()
    {
        var huge = _temp.Combine("huge-kubeconfig");
        await using (var file = File.Create(huge))
        {
            file.SetLength(17L * 1024 * 1024);
        }

        var cli = new CliRunner().WithEnvironment("KUBECONFIG", huge).WithEnvironment("HOME", _temp.Path);

        var code = await cli.RunAsync("undeploy", "istio", "--id=myfilter", "--namespace=bookinfo");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"{huge} is larger than 16 MiB", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trust_root_that_never_ends_is_refused_at_the_bound()
    {
        var cli = new CliRunner().WithEnvironment("HOME", _temp.Path).WithEnvironment("WASME_STORE", _temp.Combine("store"));

        var code = await cli.RunAsync("verify", "localhost:5000/f:v1", "--certificate-identity", "dev@example.com",
            "--certificate-oidc-issuer", "https://issuer.example.com", "--trust-root", "/dev/zero");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--trust-root: /dev/zero is larger than 4 MiB", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_operators_trusted_root_that_never_ends_is_refused_at_the_bound()
    {
        var kubeconfig = _temp.Combine("kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);
        var cli = new CliRunner().WithEnvironment("HOME", _temp.Path);

        var code = await cli.RunAsync("operator", "--kubeconfig", kubeconfig, "--health-address", "127.0.0.1:0", "--metrics-address", "",
            "--sigstore-trusted-root", "/dev/zero");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--sigstore-trusted-root: /dev/zero is larger than 4 MiB", cli.Error.Output, StringComparison.Ordinal);
    }
}
