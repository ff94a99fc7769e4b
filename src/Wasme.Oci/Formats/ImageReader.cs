using System.Formats.Tar;
using System.IO.Compression;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;

namespace Wasme.Oci.Formats;

/// <summary>
/// Reads any supported Wasm image layout: which one it is, where the module is, and its runtime config.
/// Pure: callers fetch (and verify) the blobs, this only interprets them.
/// </summary>
public static class ImageReader
{
    /// <summary>Bound on an embedded or config-blob runtime config.</summary>
    public const int MaxRuntimeConfigSize = 1024 * 1024;

    private static ReadOnlySpan<byte> WasmMagic => [0x00, 0x61, 0x73, 0x6d];

    /// <summary>Classifies the manifest; throws a usage error naming the layers when it is no Wasm image.</summary>
    public static ImageLayout Identify(ImageManifest manifest, string? manifestMediaType = null)
    {
        var layers = manifest.Layers;
        if (layers.Any(l => l.MediaType == MediaTypes.WasmeModuleLayer))
        {
            return ImageLayout.Wasme;
        }

        if (layers.Count == 1 && layers[0].MediaType == MediaTypes.WasmToOciLayer)
        {
            return ImageLayout.WasmToOci;
        }

        if (layers.Count == 1 && layers[0].MediaType == MediaTypes.WasmLayer)
        {
            return ImageLayout.CncfWasm;
        }

        if (layers.Count > 0)
        {
            // Istio takes the last layer of a compat image; so do we.
            var last = layers[^1].MediaType;
            if (last == MediaTypes.DockerLayerTarGzip || (last == MediaTypes.OciLayerTarGzip && (manifestMediaType ?? manifest.MediaType) == MediaTypes.DockerManifest))
            {
                return ImageLayout.CompatDocker;
            }

            if (last == MediaTypes.OciLayerTarGzip)
            {
                return ImageLayout.CompatOci;
            }
        }

        var found = layers.Count == 0 ? "no layers" : string.Join(", ", layers.Select(l => l.MediaType));
        throw new OciUsageException(
            $"The image is not a Wasm image wasme can read (layers: {found}). Expected the wasme layout " +
            $"({MediaTypes.WasmeModuleLayer}), the compat layout (tar+gzip layer with plugin.wasm), " +
            $"or a single {MediaTypes.WasmToOciLayer} / {MediaTypes.WasmLayer} layer.");
    }

    /// <summary>The layer that holds the module (raw or inside a tar+gzip).</summary>
    public static Descriptor ModuleLayer(ImageManifest manifest, ImageLayout layout) => layout switch
    {
        ImageLayout.Wasme => manifest.Layers.First(l => l.MediaType == MediaTypes.WasmeModuleLayer),
        _ => manifest.Layers[^1],
    };

    /// <summary>True when the module layer is the raw module, so its digest is the module's sha256.</summary>
    public static bool IsRawModule(ImageLayout layout) => layout is ImageLayout.Wasme or ImageLayout.WasmToOci or ImageLayout.CncfWasm;

    /// <summary>Extracts the module (and an embedded runtime-config.json, for compat) from the verified module layer.</summary>
    public static ModuleContent ReadModule(ImageLayout layout, ReadOnlyMemory<byte> layer, long maxModuleSize)
    {
        ModuleContent content;
        if (IsRawModule(layout))
        {
            content = new ModuleContent(layer, null);
        }
        else
        {
            content = ReadCompatLayer(layer, maxModuleSize);
        }

        CheckWasmHeader(content.Module.Span);
        return content;
    }

    /// <summary>How many leading bytes <see cref="CheckWasmHeader"/> looks at: magic and version.</summary>
    public const int WasmHeaderLength = 8;

    /// <summary>Refuses a module that does not start with the Wasm magic (given at least its first <see cref="WasmHeaderLength"/> bytes).</summary>
    public static void CheckWasmHeader(ReadOnlySpan<byte> module)
    {
        if (module.Length < WasmHeaderLength || !module[..4].SequenceEqual(WasmMagic))
        {
            throw new OciUsageException(
                "The image's module layer is not a WebAssembly binary (it does not start with the '\\0asm' magic). " +
                "Push a compiled .wasm module.");
        }
    }

    /// <summary>
    /// The runtime config: wasme's config blob when present, else the compat tar's runtime-config.json,
    /// else the manifest's <c>module.wasm.runtime/*</c> annotations, else empty (no root ids known).
    /// </summary>
    public static RuntimeConfig ReadRuntimeConfig(ImageManifest manifest, ReadOnlyMemory<byte>? configBlob, ReadOnlyMemory<byte>? embeddedConfig)
    {
        if (manifest.Config.MediaType == MediaTypes.WasmeConfig && configBlob is { } blob)
        {
            return RuntimeConfig.Parse(blob.Span, "the image's runtime config");
        }

        if (embeddedConfig is { } embedded)
        {
            return RuntimeConfig.Parse(embedded.Span, "the image's runtime-config.json");
        }

        var annotations = manifest.Annotations;
        var abi = annotations?.GetValueOrDefault(Annotations.AbiVersion);
        return new RuntimeConfig
        {
            Type = annotations?.GetValueOrDefault(Annotations.RuntimeType) ?? RuntimeConfig.EnvoyProxyType,
            AbiVersions = string.IsNullOrEmpty(abi) ? [] : abi.Split(','),
        };
    }

    /// <summary>Whether <see cref="ReadRuntimeConfig"/> needs the manifest's config blob.</summary>
    public static bool UsesConfigBlob(ImageManifest manifest) => manifest.Config.MediaType == MediaTypes.WasmeConfig;

    private static ModuleContent ReadCompatLayer(ReadOnlyMemory<byte> layer, long maxModuleSize)
    {
        // Bound the decompressed stream too: a small gzip can expand to gigabytes.
        // Saturating: a caller with no bound of its own (long.MaxValue) must not wrap to a negative limit.
        const long overhead = MaxRuntimeConfigSize + (64 * 1024);
        var maxTarSize = maxModuleSize > long.MaxValue - overhead ? long.MaxValue : maxModuleSize + overhead;
        using var gzip = new GZipStream(new MemoryStream(layer.ToArray(), writable: false), CompressionMode.Decompress);
        using var bounded = new BoundedReadStream(gzip, maxTarSize, "decompressed compat layer");
        ReadOnlyMemory<byte>? module = null;
        ReadOnlyMemory<byte>? fallbackModule = null;
        ReadOnlyMemory<byte>? config = null;
        try
        {
            using var reader = new TarReader(bounded);
            while (NextEntry(reader, haveModule: module is not null || fallbackModule is not null) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }

                var name = Path.GetFileName(entry.Name.TrimEnd('/'));
                switch (name)
                {
                    case ImagePacker.CompatModuleFile:
                        module = ReadEntry(entry, maxModuleSize, name);
                        break;
                    case ImagePacker.ModuleTitle:
                        fallbackModule = ReadEntry(entry, maxModuleSize, name);
                        break;
                    case ImagePacker.ConfigTitle:
                        config = ReadEntry(entry, MaxRuntimeConfigSize, name);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or ArgumentException)
        {
            // TarReader reports a damaged header as any of these (ArgumentException for impossible fields).
            throw new OciIntegrityException($"The compat layer is not a valid tar+gzip archive: {ex.Message}", ex);
        }

        var found = module ?? fallbackModule
            ?? throw new OciUsageException("The compat layer holds no 'plugin.wasm' (nor 'filter.wasm'). Rebuild the image with the module at /plugin.wasm.");
        return new ModuleContent(found, config);
    }

    private static TarEntry? NextEntry(TarReader reader, bool haveModule)
    {
        try
        {
            return reader.GetNextEntry();
        }
        catch (EndOfStreamException) when (haveModule)
        {
            // Go's archive/tar users (umoci) may omit the end-of-archive blocks; what we need was complete.
            return null;
        }
        catch (EndOfStreamException ex)
        {
            throw new OciIntegrityException("The compat layer's tar archive ends before a 'plugin.wasm' was found; it is truncated.", ex);
        }
    }

    private static byte[] ReadEntry(TarEntry entry, long max, string name)
    {
        if (entry.Length > max)
        {
            throw new OciIntegrityException($"'{name}' in the compat layer is {entry.Length} bytes, more than the limit of {max} bytes. Raise --max-module-size if this is expected.");
        }

        var bytes = new byte[entry.Length];
        try
        {
            entry.DataStream!.ReadExactly(bytes);
        }
        catch (EndOfStreamException ex)
        {
            throw new OciIntegrityException($"'{name}' in the compat layer is shorter than the {entry.Length} bytes its tar header says; the layer is truncated or damaged.", ex);
        }

        return bytes;
    }
}

/// <summary>A module and, for compat images, the runtime-config.json found next to it.</summary>
public sealed record ModuleContent(ReadOnlyMemory<byte> Module, ReadOnlyMemory<byte>? EmbeddedRuntimeConfig);
