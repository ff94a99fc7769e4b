using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

/// <summary>Issue 15 point 7: skopeo reads a Docker schema 2 image that wasme stored (it looks only at OCI-typed index entries).</summary>
public sealed class SkopeoReadsTheStoreTests
{
    [Fact]
    public async Task Skopeo_reads_and_copies_a_docker_schema2_image_from_the_store_and_wasme_still_reads_it_as_docker()
    {
        using var store = new TestStore();
        var module = TestWasmModule.Create(1800, seed: 44);
        var image = DockerSchema2(module);
        var reference = ImageReference.Parse("example.com/docker/filter:v1");

        var stored = await store.Store.AddPackedAsync(reference, image);

        Assert.Equal(ImageLayout.CompatDocker, stored.Layout);
        Assert.Equal(MediaTypes.DockerManifest, LocalImageStore.ManifestDescriptor(stored).MediaType);
        var raw = await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--raw", $"oci:{store.Root}:{reference}");
        Assert.Equal(image.ManifestDigest, Digest.Compute(Encoding.UTF8.GetBytes(raw)));
        await ExternalTool.RunCheckedAsync("skopeo", "copy", "--quiet", $"oci:{store.Root}:{reference}", $"oci:{Path.Combine(store.Root, "copy")}:v1");
        var listed = Assert.Single(await new LocalImageStore(store.Root).ListAsync());
        Assert.Equal(module, await store.Store.ReadModuleAsync(listed));
    }

    private static PackedImage DockerSchema2(byte[] module)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, ImagePacker.CompatModuleFile) { DataStream = new MemoryStream(module) });
        }

        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }

        var layer = gzipped.ToArray();
        var config = Encoding.UTF8.GetBytes($$$"""{"architecture":"wasm","os":"wasip1","rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute(tar.ToArray())}}}"]}}""");
        var configDescriptor = Descriptor.For(MediaTypes.DockerImageConfig, config);
        var layerDescriptor = Descriptor.For(MediaTypes.DockerLayerTarGzip, layer);
        var manifestBytes = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{"mediaType":"{{{configDescriptor.MediaType}}}","digest":"{{{configDescriptor.Digest}}}","size":{{{configDescriptor.Size}}}},"layers":[{"mediaType":"{{{layerDescriptor.MediaType}}}","digest":"{{{layerDescriptor.Digest}}}","size":{{{layerDescriptor.Size}}}}]}""");
        Assert.True(OciDocuments.TryParseManifest(manifestBytes, out var manifest, out _));
        return new PackedImage(
            manifestBytes,
            Descriptor.For(MediaTypes.DockerManifest, manifestBytes),
            manifest,
            new Dictionary<Digest, ReadOnlyMemory<byte>> { [configDescriptor.GetDigest()] = config, [layerDescriptor.GetDigest()] = layer });
    }
}
