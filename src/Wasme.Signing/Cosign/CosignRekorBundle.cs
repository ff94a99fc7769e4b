using System.Text.Json.Serialization;

namespace Wasme.Signing.Cosign;

/// <summary>The <c>dev.sigstore.cosign/bundle</c> annotation: a Rekor entry as Rekor answered it, with its SET.</summary>
public sealed record CosignRekorBundle
{
    [JsonPropertyName("SignedEntryTimestamp")]
    public required byte[] SignedEntryTimestamp { get; init; }

    [JsonPropertyName("Payload")]
    public required RekorPayload Payload { get; init; }

    public sealed record RekorPayload
    {
        /// <summary>Base64 of the canonical entry JSON, kept as text: the SET covers this exact string.</summary>
        [JsonPropertyName("body")]
        public required string Body { get; init; }

        [JsonPropertyName("integratedTime")]
        public required long IntegratedTime { get; init; }

        [JsonPropertyName("logIndex")]
        public required long LogIndex { get; init; }

        [JsonPropertyName("logID")]
        public required string LogId { get; init; }
    }
}
