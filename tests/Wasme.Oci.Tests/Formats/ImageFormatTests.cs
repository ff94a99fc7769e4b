using System.IO.Compression;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Formats;

public sealed class ImageFormatTests
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1", "v0.2.0"], ["root"]);

    [Fact]
    public void The_wasme_layout_lists_the_config_as_layer_zero_and_the_raw_module_with_the_original_annotations()
    {
        var module = TestWasmModule.Create();

        var image = ImagePacker.Pack(module, Config, WasmImageFormat.Wasme);

        Assert.Equal(MediaTypes.WasmeConfig, image.Manifest.Config.MediaType);
        Assert.Equal(2, image.Manifest.Layers.Count);
        Assert.Equal(image.Manifest.Config.Digest, image.Manifest.Layers[0].Digest);
        Assert.Equal(MediaTypes.WasmeModuleLayer, image.Manifest.Layers[1].MediaType);
        Assert.Equal("v0.2.1,v0.2.0", image.Manifest.Annotations![Annotations.AbiVersion]);
        Assert.Equal("envoy_proxy", image.Manifest.Annotations[Annotations.RuntimeType]);
        Assert.Equal(module, image.Blobs[image.Manifest.Layers[1].GetDigest()].ToArray());
    }

    [Theory]
    [InlineData(WasmImageFormat.Wasme, "application/vnd.module.wasm.config.v1+json")]
    [InlineData(WasmImageFormat.Compat, "application/vnd.oci.image.layer.v1.tar+gzip")]
    public void Manifests_write_plus_as_docker_skopeo_and_oras_do_not_as_an_escape(WasmImageFormat format, string mediaType)
    {
        var image = ImagePacker.Pack(TestWasmModule.Create(), Config, format);

        var text = System.Text.Encoding.UTF8.GetString(image.ManifestBytes.Span);
        Assert.Contains($"\"{mediaType}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_compat_layout_is_one_tar_gzip_layer_with_plugin_wasm_and_runtime_config()
    {
        var module = TestWasmModule.Create(3000);

        var image = ImagePacker.Pack(module, Config, WasmImageFormat.Compat);
        var layer = Assert.Single(image.Manifest.Layers);
        var content = ImageReader.ReadModule(ImageLayout.CompatOci, image.Blobs[layer.GetDigest()], 1 << 20);

        Assert.Equal(MediaTypes.OciLayerTarGzip, layer.MediaType);
        Assert.Equal("compat", image.Manifest.Annotations![Annotations.Variant]);
        Assert.Equal(module, content.Module.ToArray());
        Assert.Equal(["root"], RuntimeConfig.Parse(content.EmbeddedRuntimeConfig!.Value.Span).RootIds);
    }

    [Theory]
    [InlineData(WasmImageFormat.Wasme)]
    [InlineData(WasmImageFormat.Compat)]
    public void Packing_is_deterministic_so_re_pushing_changes_nothing(WasmImageFormat format)
    {
        var module = TestWasmModule.Create(5000);

        Assert.Equal(
            ImagePacker.Pack(module, Config, format).ManifestDigest,
            ImagePacker.Pack(module, Config, format).ManifestDigest);
    }

    [Theory]
    [InlineData(MediaTypes.WasmToOciLayer, ImageLayout.WasmToOci)]
    [InlineData(MediaTypes.WasmLayer, ImageLayout.CncfWasm)]
    [InlineData(MediaTypes.WasmeModuleLayer, ImageLayout.Wasme)]
    public void Single_layer_wasm_artifacts_are_recognised(string layerType, ImageLayout expected)
    {
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciEmpty, Digest = "sha256:" + new string('0', 64), Size = 2 },
            Layers = [new Descriptor { MediaType = layerType, Digest = "sha256:" + new string('1', 64), Size = 10 }],
        };

        Assert.Equal(expected, ImageReader.Identify(manifest));
    }

    [Fact]
    public void A_container_image_is_not_mistaken_for_a_wasm_image()
    {
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciImageConfig, Digest = "sha256:" + new string('0', 64), Size = 2 },
            Layers = [new Descriptor { MediaType = "application/vnd.oci.image.layer.v1.tar+zstd", Digest = "sha256:" + new string('1', 64), Size = 10 }],
        };

        var error = Assert.Throws<OciUsageException>(() => ImageReader.Identify(manifest));

        Assert.Contains("tar+zstd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_bomb_is_refused_by_the_decompressed_size_bound()
    {
        // 8 MiB of zeros in a tar entry compresses to a few KiB; skipping it must already trip the bound.
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "junk") { DataStream = new MemoryStream(new byte[8 * 1024 * 1024]) });
        }

        Assert.True(buffer.Length < 64 * 1024);

        var error = Assert.Throws<OciIntegrityException>(() => ImageReader.ReadModule(ImageLayout.CompatOci, buffer.ToArray(), maxModuleSize: 1024 * 1024));

        Assert.Contains("larger than the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_that_is_not_wasm_is_refused()
    {
        var error = Assert.Throws<OciUsageException>(() => ImageReader.ReadModule(ImageLayout.WasmToOci, "#!/bin/sh\necho hi\n"u8.ToArray(), 1024));

        Assert.Contains("not a WebAssembly binary", error.Message, StringComparison.Ordinal);
    }
}
