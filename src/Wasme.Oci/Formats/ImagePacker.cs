using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;

namespace Wasme.Oci.Formats;

/// <summary>
/// Builds an image from module bytes and a runtime config. Pure and deterministic: the same inputs
/// give the same manifest digest (fixed tar timestamps and owners), so re-pushing is a no-op.
/// </summary>
public static class ImagePacker
{
    public const string ModuleTitle = "filter.wasm";
    public const string ConfigTitle = "runtime-config.json";
    public const string CompatModuleFile = "plugin.wasm";

    public static PackedImage Pack(ReadOnlyMemory<byte> module, RuntimeConfig config, WasmImageFormat format) => format switch
    {
        WasmImageFormat.Wasme => PackWasme(module, config),
        WasmImageFormat.Compat => PackCompat(module, config),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    private static PackedImage PackWasme(ReadOnlyMemory<byte> module, RuntimeConfig config)
    {
        var configBytes = config.ToJsonBytes();
        var configDescriptor = Descriptor.For(MediaTypes.WasmeConfig, configBytes, Title(ConfigTitle));
        var moduleDescriptor = Descriptor.For(MediaTypes.WasmeModuleLayer, module.Span, Title(ModuleTitle));
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = configDescriptor,
            // The original wasme lists the config again as layer 0; Istio's fetcher requires exactly 2 layers.
            Layers = [configDescriptor, moduleDescriptor],
            Annotations = RuntimeAnnotations(config),
        };
        return Assemble(manifest, [(configDescriptor, configBytes), (moduleDescriptor, module)]);
    }

    private static PackedImage PackCompat(ReadOnlyMemory<byte> module, RuntimeConfig config)
    {
        var configBytes = config.ToJsonBytes();
        var tar = BuildTar(module, configBytes);
        var layer = Gzip(tar);
        var layerDescriptor = Descriptor.For(MediaTypes.OciLayerTarGzip, layer);

        // A real OCI image config so docker, umoci and skopeo treat it as an ordinary image.
        var imageConfig = JsonSerializer.SerializeToUtf8Bytes(
            new CompatImageConfig
            {
                Rootfs = new CompatRootfs { DiffIds = [Digest.Compute(tar).ToString()] },
            },
            CompatJsonContext.Default.CompatImageConfig);
        var configDescriptor = Descriptor.For(MediaTypes.OciImageConfig, imageConfig);
        var annotations = new Dictionary<string, string>(RuntimeAnnotations(config))
        {
            [Annotations.Variant] = "compat",
        };
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = configDescriptor,
            Layers = [layerDescriptor],
            Annotations = annotations,
        };
        return Assemble(manifest, [(configDescriptor, imageConfig), (layerDescriptor, layer)]);
    }

    private static PackedImage Assemble(ImageManifest manifest, (Descriptor Descriptor, ReadOnlyMemory<byte> Bytes)[] blobs)
    {
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Written.ImageManifest);
        var blobMap = new Dictionary<Digest, ReadOnlyMemory<byte>>();
        foreach (var (descriptor, bytes) in blobs)
        {
            blobMap[descriptor.GetDigest()] = bytes;
        }

        return new PackedImage(manifestBytes, Descriptor.For(MediaTypes.OciManifest, manifestBytes), manifest, blobMap);
    }

    private static SortedDictionary<string, string> RuntimeAnnotations(RuntimeConfig config) => new(StringComparer.Ordinal)
    {
        [Annotations.AbiVersion] = string.Join(',', config.AbiVersions),
        [Annotations.RuntimeType] = config.Type,
    };

    private static Dictionary<string, string> Title(string title) => new() { [Annotations.Title] = title };

    private static byte[] BuildTar(ReadOnlyMemory<byte> module, byte[] configBytes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            AddFile(writer, CompatModuleFile, module);
            AddFile(writer, ConfigTitle, configBytes);
        }

        return buffer.ToArray();
    }

    private static void AddFile(TarWriter writer, string name, ReadOnlyMemory<byte> content)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
            Uid = 0,
            Gid = 0,
            DataStream = new MemoryStream(content.ToArray(), writable: false),
        };
        writer.WriteEntry(entry);
    }

    private static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return buffer.ToArray();
    }
}
