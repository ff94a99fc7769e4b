using System.Text;
using System.Text.Json.Nodes;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>
/// Issue 15 point 7: an OCI index at a tag whose first entry is a linux/amd64 image and whose Wasm image
/// comes later, put into a real docker-registry by skopeo (<c>copy --all</c>).
/// </summary>
public sealed class IndexPullTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    [Fact]
    public async Task Pulls_the_wasm_image_of_an_index_by_tag_and_by_the_indexs_own_digest()
    {
        using var store = new TestStore();
        var module = TestWasmModule.Create(2500, seed: 41);
        var indexDigest = await PushIndexAsync(store.Root, $"{fixture.Registry.Host}/multi/filter:v1", module);
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        var byTag = ImageReference.Parse($"{fixture.Registry.Host}/multi/filter:v1");
        var byIndexDigest = ImageReference.Parse($"{fixture.Registry.Host}/multi/filter@{indexDigest}");

        var pulled = await new ImagePuller(client).PullAsync(byTag, store.Store);
        var pinned = await new ImagePuller(client).PullAsync(byIndexDigest, store.Store);

        Assert.Equal(ImageLayout.Wasme, pulled.Layout);
        Assert.Equal(module, await store.Store.ReadModuleAsync(pulled));
        Assert.Equal(pulled.ManifestDigest, pinned.ManifestDigest);
        var found = await store.Store.GetAsync(byIndexDigest);
        Assert.Equal(module, await store.Store.ReadModuleAsync(found));
        var raw = await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--raw", $"oci:{store.Root}:{byTag}");
        Assert.Equal(pulled.ManifestDigest, Digest.Compute(Encoding.UTF8.GetBytes(raw)));
    }

    /// <summary>Writes an OCI layout holding an index [linux/amd64 image, Wasm image] and copies it all to the registry.</summary>
    private static async Task<Digest> PushIndexAsync(string scratch, string target, byte[] module)
    {
        var layout = Path.Combine(scratch, "index-layout");
        var blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        Descriptor Put(string mediaType, byte[] bytes)
        {
            var descriptor = Descriptor.For(mediaType, bytes);
            File.WriteAllBytes(Path.Combine(blobs, descriptor.GetDigest().Hex), bytes);
            return descriptor;
        }

        var linuxLayer = Put("application/vnd.oci.image.layer.v1.tar", new byte[1024]);
        var linuxConfig = Put(MediaTypes.OciImageConfig, Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{linuxLayer.Digest}}}"]}}"""));
        var linux = Put(MediaTypes.OciManifest, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Json(linuxConfig),
            ["layers"] = new JsonArray(Json(linuxLayer)),
        }.ToJsonString()));

        var wasm = ImagePacker.Pack(module, Config, WasmImageFormat.Wasme);
        foreach (var (digest, bytes) in wasm.Blobs)
        {
            File.WriteAllBytes(Path.Combine(blobs, digest.Hex), bytes.ToArray());
        }

        var wasmManifest = Put(MediaTypes.OciManifest, wasm.ManifestBytes.ToArray());
        var linuxEntry = Json(linux);
        linuxEntry["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
        var index = Put(MediaTypes.OciIndex, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(linuxEntry, Json(wasmManifest)),
        }.ToJsonString()));
        var indexEntry = Json(index);
        indexEntry["annotations"] = new JsonObject { [Annotations.RefName] = "multi" };
        await File.WriteAllTextAsync(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        await File.WriteAllTextAsync(Path.Combine(layout, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(indexEntry) }.ToJsonString());

        await ExternalTool.RunCheckedAsync("skopeo", "copy", "--all", "--quiet", "--preserve-digests", "--dest-tls-verify=false", $"oci:{layout}:multi", $"docker://{target}");
        Directory.Delete(layout, recursive: true);
        return index.GetDigest();
    }

    private static JsonObject Json(Descriptor descriptor) => new()
    {
        ["mediaType"] = descriptor.MediaType,
        ["digest"] = descriptor.Digest,
        ["size"] = descriptor.Size,
    };
}
