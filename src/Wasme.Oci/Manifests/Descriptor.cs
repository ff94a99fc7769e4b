using System.Text.Json.Serialization;
using Wasme.Oci.References;

namespace Wasme.Oci.Manifests;

/// <summary>An OCI content descriptor: what a blob or manifest is, how big, and its digest.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("digest")]
    public required string Digest { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("platform")]
    public Platform? Platform { get; init; }

    /// <summary>The validated digest; throws a usage error naming the bad value otherwise.</summary>
    public Digest GetDigest() => References.Digest.Parse(Digest);

    public static Descriptor For(string mediaType, ReadOnlySpan<byte> content, IReadOnlyDictionary<string, string>? annotations = null) => new()
    {
        MediaType = mediaType,
        Digest = References.Digest.Compute(content).ToString(),
        Size = content.Length,
        Annotations = annotations,
    };
}

/// <summary>Platform of an index entry (ignored for Wasm, kept so indexes round-trip).</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    [JsonPropertyName("os")]
    public string? Os { get; init; }
}
