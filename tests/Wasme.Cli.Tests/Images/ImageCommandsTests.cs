using System.Text.Json;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

public sealed class ImageCommandsTests : IAsyncLifetime
{
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private static async Task<StoredImage> AddAsync(ImageCli cli, string reference, byte[] module, WasmImageFormat format = WasmImageFormat.Wasme) =>
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), module, RuntimeConfig.Create(["v0.2.1"], ["add_header"]), format);

    [Fact]
    public async Task Push_rmi_pull_gives_the_same_module_and_inspect_shows_abi_and_root_id()
    {
        using var cli = new ImageCli();
        var module = TestWasmModule.Create(3000, seed: 21);
        var reference = $"{_registry.Host}/cli/filter:v1";
        var stored = await AddAsync(cli, reference, module);

        Assert.Equal(0, await cli.RunAsync("push", reference));
        Assert.Contains($"Digest: {stored.ManifestDigest}", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("rmi", reference));
        Assert.Equal(0, await cli.RunAsync("pull", reference));
        Assert.Contains("Layout: wasme", cli.Out.Output, StringComparison.Ordinal);
        var pulled = await new LocalImageStore(cli.Store).GetAsync(ImageReference.Parse(reference));
        Assert.Equal(module, await new LocalImageStore(cli.Store).ReadModuleAsync(pulled));

        Assert.Equal(0, await cli.RunAsync("inspect", reference, "--output", "json"));
        using var local = JsonDocument.Parse(cli.Out.Output);
        Assert.Equal(0, await cli.RunAsync("inspect", reference, "--remote", "--output", "json"));
        using var remote = JsonDocument.Parse(cli.Out.Output);
        foreach (var json in new[] { local, remote })
        {
            Assert.Equal("v0.2.1", json.RootElement.GetProperty("abiVersions")[0].GetString());
            Assert.Equal("add_header", json.RootElement.GetProperty("rootIds")[0].GetString());
            Assert.Equal(Digest.Compute(module).ToString(), json.RootElement.GetProperty("moduleDigest").GetString());
        }
    }

    [Fact]
    public async Task Push_with_format_compat_pushes_the_compat_layout()
    {
        using var cli = new ImageCli();
        var reference = $"{_registry.Host}/cli/compat:v1";
        await AddAsync(cli, reference, TestWasmModule.Create(seed: 22));

        Assert.Equal(0, await cli.RunAsync("push", reference, "--format", "compat"));
        Assert.Contains("Layout: compat", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("inspect", reference, "--remote"));
        Assert.Contains("compat", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("add_header", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_list_and_remote_list_show_the_images()
    {
        using var cli = new ImageCli();
        var reference = $"{_registry.Host}/cli/listed:v1";
        await AddAsync(cli, reference, TestWasmModule.Create(seed: 23));

        Assert.Equal(0, await cli.RunAsync("tag", reference, $"{_registry.Host}/cli/listed:v2"));
        Assert.Equal(0, await cli.RunAsync("push", $"{_registry.Host}/cli/listed:v2", "-q"));
        Assert.Equal(0, await cli.RunAsync("list"));
        Assert.Contains("NAME", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("v1", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("v2", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(0, await cli.RunAsync("list", "--output", "json"));
        using var local = JsonDocument.Parse(cli.Out.Output);
        Assert.Equal(2, local.RootElement.GetArrayLength());
        Assert.Equal(0, await cli.RunAsync("list", "--remote", $"{_registry.Host}/cli/listed", "-o", "json"));
        using var remote = JsonDocument.Parse(cli.Out.Output);
        Assert.Equal("v2", Assert.Single(remote.RootElement.EnumerateArray()).GetProperty("tag").GetString());
    }

    [Fact]
    public async Task Each_failure_class_has_its_exit_code()
    {
        using var cli = new ImageCli();

        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("pull", "Bad Ref"));
        Assert.Contains("Invalid image reference", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, await cli.RunAsync("pull", $"{_registry.Host}/cli/none:v1"));
        Assert.Equal(ExitCodes.NotFound, await cli.RunAsync("push", $"{_registry.Host}/cli/not-stored:v1"));
        Assert.Contains("wasme list", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NetworkFailure, await cli.RunAsync("pull", "127.0.0.1:9/cli/x:v1"));
    }

    [Fact]
    public async Task Auth_and_integrity_failures_have_their_exit_codes_and_leave_the_store_alone()
    {
        await using var secured = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Htpasswd);
        var image = ImagePacker.Pack(TestWasmModule.Create(seed: 24), RuntimeConfig.Create([], ["r"]), WasmImageFormat.Wasme);
        await using var evil = await ScriptedRegistry.ServingImageAsync(image, async (context, blob) =>
        {
            var tampered = blob.ToArray();
            tampered[0] ^= 1;
            await context.Response.Body.WriteAsync(tampered);
        });
        using var cli = new ImageCli();

        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("pull", $"{secured.Host}/a/b:v1"));
        Assert.Contains($"wasme login {secured.Host}", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("login", secured.Host, "-u", DockerRegistryProcess.User, "-p", "wrong"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("login", secured.Host, "-u", DockerRegistryProcess.User, "-p", DockerRegistryProcess.Password));
        Assert.Equal(ExitCodes.NotFound, await cli.RunAsync("pull", $"{secured.Host}/a/b:v1"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("logout", secured.Host));
        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("pull", $"{secured.Host}/a/b:v1"));

        Assert.Equal(ExitCodes.IntegrityFailure, await cli.RunAsync("pull", $"{evil.Host}/evil/filter:v1"));
        Assert.Contains("does not match its digest", cli.Error.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.Store, "blobs")));
    }
}
