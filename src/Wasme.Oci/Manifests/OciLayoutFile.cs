using System.Text.Json.Serialization;

namespace Wasme.Oci.Manifests;

/// <summary>The <c>oci-layout</c> marker file of an OCI image layout directory.</summary>
public sealed record OciLayoutFile
{
    [JsonPropertyName("imageLayoutVersion")]
    public string ImageLayoutVersion { get; init; } = "1.0.0";
}
