using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Formats;

/// <summary>The one reader every consumer (operator, cache, CLI) uses: same module, digest and facts whatever the layout.</summary>
public sealed class ImageModuleTests
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["0.2.1"], ["add_header"]);

    [Theory]
    [InlineData(WasmImageFormat.Wasme, ImageLayout.Wasme)]
    [InlineData(WasmImageFormat.Compat, ImageLayout.CompatOci)]
    public void Both_push_formats_read_to_the_same_module_digest_and_root_ids(WasmImageFormat format, ImageLayout layout)
    {
        var module = TestWasmModule.Create(4000);
        var image = ImagePacker.Pack(module, Config, format);

        var read = ImageModule.Read(image, RegistryLimits.DefaultMaxModuleSize);

        Assert.Equal(layout, read.Layout);
        Assert.Equal(image.ManifestDigest, read.ManifestDigest);
        Assert.Equal(module, read.Module.ToArray());
        Assert.Equal(Digest.Compute(module), read.ModuleDigest);
        Assert.Equal(["add_header"], read.RuntimeConfig.RootIds);
        Assert.Equal(["0.2.1"], read.RuntimeConfig.AbiVersions);
    }

    [Fact]
    public void A_compat_image_reads_with_no_bound_of_its_own()
    {
        // The operator passed long.MaxValue; the tar bound wrapped to a negative number and every compat image was "invalid".
        var module = TestWasmModule.Create(4000);
        var image = ImagePacker.Pack(module, Config, WasmImageFormat.Compat);

        var read = ImageModule.Read(image, long.MaxValue);

        Assert.Equal(Digest.Compute(module), read.ModuleDigest);
    }

    [Theory]
    [InlineData(WasmImageFormat.Wasme)]
    [InlineData(WasmImageFormat.Compat)]
    public void A_module_over_the_bound_is_refused_as_an_integrity_failure(WasmImageFormat format)
    {
        var image = ImagePacker.Pack(TestWasmModule.Create(4000), Config, format);

        var error = Assert.Throws<OciIntegrityException>(() => ImageModule.Read(image, 1000));

        Assert.Contains("--max-module-size", error.Message, StringComparison.Ordinal);
    }
}
