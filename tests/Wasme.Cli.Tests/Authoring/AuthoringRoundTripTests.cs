using Wasme.Cli.Tests.Support;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Oci.Wasm;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Authoring;

/// <summary>Issue 2, acceptance 1: init → build (real AssemblyScript SDK) → push → rmi → pull → inspect, against a real registry.</summary>
public sealed class AuthoringRoundTripTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly CliRunner _cli;
    private readonly string _store;

    public AuthoringRoundTripTests()
    {
        _cli = AuthoringCli.Create(_temp.Combine("home"));
        _store = _temp.Combine("store");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Built_filter_survives_push_rmi_pull_byte_for_byte_and_inspect_shows_abi_and_root_id()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        var reference = $"{registry.Host}/team/add-header:v1";
        var project = _temp.Combine("add-header");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "assemblyscript"));
        Assert.True(await _cli.RunAsync("build", "assemblyscript", project, "-t", reference, "--store", _store) == ExitCodes.Success, _cli.Error.Output);
        var store = new LocalImageStore(_store);
        var built = await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(reference)));

        Assert.True(await _cli.RunAsync("push", reference, "--store", _store) == ExitCodes.Success, _cli.Error.Output);
        Assert.True(await _cli.RunAsync("rmi", reference, "--store", _store) == ExitCodes.Success, _cli.Error.Output);
        Assert.Null(await store.FindAsync(ImageReference.Parse(reference)));
        Assert.True(await _cli.RunAsync("pull", reference, "--store", _store) == ExitCodes.Success, _cli.Error.Output);

        var pulled = await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(reference)));
        Assert.Equal(built, pulled);
        Assert.Equal([ProxyWasmAbiVersion.V0_2_0], ProxyWasmAbi.DetectVersions(WasmModule.Parse(pulled)));

        Assert.True(await _cli.RunAsync("inspect", reference, "--store", _store) == ExitCodes.Success, _cli.Error.Output);
        Assert.Matches(@"ABI versions\s+v0\.2\.0", _cli.Out.Output);
        Assert.Matches(@"Root ids\s+add_header", _cli.Out.Output);
    }
}
