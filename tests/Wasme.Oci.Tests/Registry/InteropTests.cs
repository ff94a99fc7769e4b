using System.Text.Json;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>What wasme writes, skopeo and umoci read; what they write, wasme reads.</summary>
public sealed class InteropTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    [Theory]
    [InlineData(WasmImageFormat.Wasme)]
    [InlineData(WasmImageFormat.Compat)]
    public async Task Skopeo_inspects_and_copies_what_wasme_pushed(WasmImageFormat format)
    {
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/interop/{format.ToString().ToLowerInvariant()}:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(1500, seed: 7), Config, format);
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        var pushed = await new ImagePusher(client).PushAsync(store.Store, stored, reference);
        var copy = Path.Combine(store.Root, "skopeo-copy");

        // Plain 'skopeo inspect' refuses non-image artifacts (the wasme layout's config type), so read the raw manifest.
        var raw = await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{reference}");
        await ExternalTool.RunCheckedAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{reference}", $"oci:{copy}:v1");

        Assert.Equal(pushed.ManifestDigest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
        if (format == WasmImageFormat.Compat)
        {
            using var inspected = JsonDocument.Parse(await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{reference}"));
            Assert.Equal(pushed.ManifestDigest.ToString(), inspected.RootElement.GetProperty("Digest").GetString());
            Assert.Equal("wasm", inspected.RootElement.GetProperty("Architecture").GetString());
        }

        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(copy, "index.json")));
        Assert.Equal(pushed.ManifestDigest.ToString(), index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
        var moduleLayer = ImageReader.ModuleLayer(stored.Manifest, stored.Layout).GetDigest();
        Assert.True(File.Exists(Path.Combine(copy, "blobs", "sha256", moduleLayer.Hex)));
    }

    [Fact]
    public async Task Skopeo_reads_the_local_store_as_an_oci_layout()
    {
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/layout/filter:v3");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(), Config);

        var raw = await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--raw", $"oci:{store.Root}:{reference}");

        Assert.Equal(stored.ManifestDigest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
    }

    [Fact]
    public async Task Wasme_pulls_a_compat_image_that_umoci_built_and_skopeo_pushed()
    {
        using var work = new TestStore();
        var module = TestWasmModule.Create(777, seed: 11);
        var layout = Path.Combine(work.Root, "umoci-layout");
        var file = Path.Combine(work.Root, "plugin.wasm");
        await File.WriteAllBytesAsync(file, module);
        await ExternalTool.RunCheckedAsync("umoci", "init", "--layout", layout);
        await ExternalTool.RunCheckedAsync("umoci", "new", "--image", $"{layout}:v1");
        await ExternalTool.RunCheckedAsync("umoci", "insert", "--image", $"{layout}:v1", file, "/plugin.wasm");
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/foreign/umoci:v1");
        await ExternalTool.RunCheckedAsync("skopeo", "copy", "--dest-tls-verify=false", $"oci:{layout}:v1", $"docker://{reference}");
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

        var pulled = await new ImagePuller(client).PullAsync(reference, store.Store);

        Assert.Equal(ImageLayout.CompatOci, pulled.Layout);
        Assert.Equal(module, await store.Store.ReadModuleAsync(pulled));
        Assert.Empty(pulled.RootIds);
    }

    [Fact]
    public async Task Wasme_pulls_a_docker_manifest_compat_image()
    {
        using var source = new TestStore();
        var module = TestWasmModule.Create(900, seed: 12);
        var ociReference = ImageReference.Parse($"{fixture.Registry.Host}/foreign/oci-compat:v1");
        var stored = await source.Store.AddAsync(ociReference, module, Config, WasmImageFormat.Compat);
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        await new ImagePusher(client).PushAsync(source.Store, stored, ociReference);
        var dockerReference = ImageReference.Parse($"{fixture.Registry.Host}/foreign/docker-compat:v1");
        await ExternalTool.RunCheckedAsync("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--format", "v2s2", $"docker://{ociReference}", $"docker://{dockerReference}");
        using var store = new TestStore();

        var pulled = await new ImagePuller(client).PullAsync(dockerReference, store.Store);

        Assert.Equal(ImageLayout.CompatDocker, pulled.Layout);
        Assert.Equal(module, await store.Store.ReadModuleAsync(pulled));
        Assert.Equal(["add_header"], pulled.RootIds);
    }
}
