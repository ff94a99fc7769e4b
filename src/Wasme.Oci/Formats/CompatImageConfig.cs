using System.Text.Json.Serialization;

namespace Wasme.Oci.Formats;

/// <summary>Minimal OCI image config for compat images (<c>os</c>/<c>architecture</c> as Istio's docs build them).</summary>
internal sealed record CompatImageConfig
{
    [JsonPropertyName("architecture")]
    public string Architecture { get; init; } = "wasm";

    [JsonPropertyName("os")]
    public string Os { get; init; } = "wasip1";

    [JsonPropertyName("rootfs")]
    public required CompatRootfs Rootfs { get; init; }
}

internal sealed record CompatRootfs
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "layers";

    [JsonPropertyName("diff_ids")]
    public required IReadOnlyList<string> DiffIds { get; init; }
}

[JsonSerializable(typeof(CompatImageConfig))]
internal sealed partial class CompatJsonContext : JsonSerializerContext;
