using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Wasme.Oci.References;

namespace Wasme.Oci.Manifests;

/// <summary>
/// Parses manifests and indexes from untrusted bytes and checks what the deserializer lets through:
/// JSON <c>null</c> where a value is required (the document itself, <c>config</c>, <c>layers</c>,
/// <c>manifests</c>, an entry, a media type or digest), malformed digests and negative sizes. The rest
/// of wasme can then rely on the shape, and a hostile document is one clear error, never a crash.
/// </summary>
public static class OciDocuments
{
    private const string WarmUpDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Builds what the serializer needs to read a manifest and to write the store's index.json (type
    /// metadata, the escaping encoder's tables): a few hundred microseconds each under native AOT, once
    /// per process. <see cref="Transfer.TransferWarmUp"/> runs it while the registry answers.
    /// </summary>
    internal static void WarmUp()
    {
        var descriptor = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = WarmUpDigest, Size = 0, Annotations = new Dictionary<string, string> { ["a"] = "b" } };
        _ = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(new ImageManifest { Config = descriptor, Layers = [descriptor] }, OciJsonContext.Default.ImageManifest), OciJsonContext.Default.ImageManifest);
        _ = JsonSerializer.SerializeToUtf8Bytes(new ImageIndex { Manifests = [descriptor] }, OciJsonContext.Written.ImageIndex);
    }

    /// <summary>Parses an image manifest; on failure <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParseManifest(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out ImageManifest? manifest, out string problem)
    {
        manifest = null;
        ImageManifest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(bytes, OciJsonContext.Default.ImageManifest);
        }
        catch (JsonException ex)
        {
            problem = $"it is not a valid manifest ({ex.Message})";
            return false;
        }

        if (parsed is null)
        {
            problem = "it is JSON 'null', not a manifest";
            return false;
        }

        if (CheckDescriptor(parsed.Config, "config") is { } configProblem)
        {
            problem = configProblem;
            return false;
        }

        if (CheckDescriptors(parsed.Layers, "layers") is { } layersProblem)
        {
            problem = layersProblem;
            return false;
        }

        manifest = parsed;
        problem = string.Empty;
        return true;
    }

    /// <summary>Parses an image index (a registry's multi-platform index or a layout's <c>index.json</c>).</summary>
    public static bool TryParseIndex(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out ImageIndex? index, out string problem)
    {
        index = null;
        ImageIndex? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(bytes, OciJsonContext.Default.ImageIndex);
        }
        catch (JsonException ex)
        {
            problem = $"it is not a valid index ({ex.Message})";
            return false;
        }

        if (parsed is null)
        {
            problem = "it is JSON 'null', not an index";
            return false;
        }

        if (CheckDescriptors(parsed.Manifests, "manifests") is { } manifestsProblem)
        {
            problem = manifestsProblem;
            return false;
        }

        index = parsed;
        problem = string.Empty;
        return true;
    }

    private static string? CheckDescriptors(IReadOnlyList<Descriptor>? descriptors, string field)
    {
        if (descriptors is null)
        {
            return $"'{field}' is null (it must be a list, possibly empty)";
        }

        for (var i = 0; i < descriptors.Count; i++)
        {
            if (CheckDescriptor(descriptors[i], $"{field}[{i}]") is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckDescriptor(Descriptor? descriptor, string field)
    {
        if (descriptor is null)
        {
            return $"'{field}' is null (it must be a descriptor with mediaType, digest and size)";
        }

        if (string.IsNullOrEmpty(descriptor.MediaType))
        {
            return $"'{field}.mediaType' is missing";
        }

        if (!Digest.TryParse(descriptor.Digest, out _))
        {
            return $"'{field}.digest' is '{descriptor.Digest}', not a sha256 digest";
        }

        if (descriptor.Size < 0)
        {
            return $"'{field}.size' is negative ({descriptor.Size})";
        }

        if (descriptor.Annotations is { } annotations && annotations.Any(a => a.Value is null))
        {
            return $"'{field}.annotations' has a null value";
        }

        return null;
    }
}
