using System.Text;
using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>
/// <c>wasme login</c> writes where docker, skopeo and oras read, and wasme reads what they write: real
/// skopeo and a real htpasswd-protected docker-registry, and a real credential helper program.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialInteropTests : IAsyncLifetime
{
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Htpasswd);

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private static string DockerConfig(ImageCli cli) => Path.Combine(cli.Home, ".docker", "config.json");

    private async Task<string> AddAsync(ImageCli cli, string repository)
    {
        var reference = $"{_registry.Host}/{repository}:v1";
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(seed: 31), RuntimeConfig.Create(["v0.2.1"], ["r"]));
        return reference;
    }

    private static Task<int> LoginAsync(ImageCli cli, string host) =>
        cli.RunAsync("login", host, "-u", DockerRegistryProcess.User, "-p", DockerRegistryProcess.Password);

    private static Task<(int ExitCode, string Output, string Error)> SkopeoInspectAsync(string reference, string authFile) =>
        ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", "--authfile", authFile, $"docker://{reference}"]);

    [Fact]
    public async Task Skopeo_reads_the_docker_config_wasme_login_writes_and_logout_takes_the_access_away()
    {
        using var cli = new ImageCli();
        var reference = await AddAsync(cli, "interop/login");

        Assert.Equal(ExitCodes.Success, await LoginAsync(cli, _registry.Host));
        var loginOutput = cli.Out.Output + cli.Error.Output;
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        var inspected = await SkopeoInspectAsync(reference, DockerConfig(cli));
        var file = await File.ReadAllTextAsync(DockerConfig(cli));

        Assert.True(inspected.ExitCode == 0, inspected.Error);
        Assert.Contains("application/vnd.oci.image.manifest.v1+json", inspected.Output, StringComparison.Ordinal);
        Assert.Contains($"saved to {DockerConfig(cli)}", loginOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(DockerRegistryProcess.Password, loginOutput, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DockerConfig(cli)));
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{DockerRegistryProcess.User}:{DockerRegistryProcess.Password}")), file, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("logout", _registry.Host));
        var refused = await SkopeoInspectAsync(reference, DockerConfig(cli));

        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain(_registry.Host, await File.ReadAllTextAsync(DockerConfig(cli)), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("pull", reference));
    }

    [Fact]
    public async Task Wasme_uses_the_auth_file_skopeo_login_writes_in_the_runtime_directory_and_never_changes_it()
    {
        using var cli = new ImageCli();
        var reference = await AddAsync(cli, "interop/skopeo");
        var runtime = Path.Combine(cli.Home, "run");
        Directory.CreateDirectory(runtime);
        var login = await ExternalTool.RunAsync("env", [$"XDG_RUNTIME_DIR={runtime}", "skopeo", "login", "--tls-verify=false", "-u", DockerRegistryProcess.User, "-p", DockerRegistryProcess.Password, _registry.Host]);
        Assert.True(login.ExitCode == 0, login.Error);
        var authFile = Path.Combine(runtime, "containers", "auth.json");
        var written = await File.ReadAllTextAsync(authFile);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("logout", _registry.Host));

        Assert.Contains($"Not logged in to {_registry.Host}", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains($"{authFile} still holds credentials for {_registry.Host}", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(written, await File.ReadAllTextAsync(authFile));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference, "-q"));
    }

    [Fact]
    public async Task With_a_creds_store_the_secret_goes_to_the_helper_and_the_config_keeps_only_the_registry_name()
    {
        using var helper = new FakeCredentialHelper("test");
        using var cli = new ImageCli();
        cli.WithEnvironment("PATH", helper.PathWithHelper);
        Directory.CreateDirectory(Path.GetDirectoryName(DockerConfig(cli))!);
        await File.WriteAllTextAsync(DockerConfig(cli), """{"credsStore":"test","psFormat":"table"}""");
        var reference = await AddAsync(cli, "interop/helper");

        Assert.Equal(ExitCodes.Success, await LoginAsync(cli, _registry.Host));
        var file = await File.ReadAllTextAsync(DockerConfig(cli));

        Assert.Contains("saved to docker-credential-test", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains(DockerRegistryProcess.Password, helper.Secrets, StringComparison.Ordinal);
        Assert.DoesNotContain(DockerRegistryProcess.Password, file, StringComparison.Ordinal);
        Assert.DoesNotContain("\"auth\"", file, StringComparison.Ordinal);
        Assert.Contains($"\"{_registry.Host}\":{{}}", file, StringComparison.Ordinal);
        Assert.Contains("\"psFormat\":\"table\"", file, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("logout", _registry.Host));

        Assert.Equal(["store", "get", "erase"], helper.Calls.Distinct());
        Assert.DoesNotContain(_registry.Host, helper.Secrets, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("pull", reference));
    }

    [Fact]
    public async Task A_per_registry_helper_wins_over_the_creds_store_and_a_missing_helper_is_an_auth_error_naming_it()
    {
        using var helper = new FakeCredentialHelper("test");
        using var cli = new ImageCli();
        cli.WithEnvironment("PATH", helper.PathWithHelper);
        Directory.CreateDirectory(Path.GetDirectoryName(DockerConfig(cli))!);
        await File.WriteAllTextAsync(DockerConfig(cli), """{"credsStore":"absent","credHelpers":{"HOST":"test"}}""".Replace("HOST", _registry.Host, StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Success, await LoginAsync(cli, _registry.Host));
        Assert.Contains(DockerRegistryProcess.Password, helper.Secrets, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("logout", "other.example.com"));
        Assert.Contains("'docker-credential-absent' is not on PATH", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_from_wasmes_old_file_still_work_and_login_moves_them_to_the_docker_config()
    {
        using var cli = new ImageCli();
        var reference = await AddAsync(cli, "interop/legacy");
        var legacy = Path.Combine(cli.Home, ".wasme", "credentials.json");
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{DockerRegistryProcess.User}:{DockerRegistryProcess.Password}"));
        await File.WriteAllTextAsync(legacy, """{"auths":{"HOST":{"auth":"AUTH"},"keep.example.com":{"auth":"a2VlcDprZWVw"}}}""".Replace("HOST", _registry.Host, StringComparison.Ordinal).Replace("AUTH", auth, StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        Assert.Equal(ExitCodes.Success, await LoginAsync(cli, _registry.Host));

        var old = await File.ReadAllTextAsync(legacy);
        Assert.DoesNotContain(_registry.Host, old, StringComparison.Ordinal);
        Assert.Contains("keep.example.com", old, StringComparison.Ordinal);
        Assert.Contains(_registry.Host, await File.ReadAllTextAsync(DockerConfig(cli)), StringComparison.Ordinal);
    }
}
