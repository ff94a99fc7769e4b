using System.Text.Json;
using System.Text.Json.Serialization;
using Wasme.Oci.References;

namespace Wasme.Signing.Cosign;

/// <summary>
/// The "simple signing" claim cosign signs for a container image: which manifest digest, under which
/// repository name. The signature covers these exact bytes, so they are kept as received.
/// </summary>
public sealed record SimpleSigningPayload
{
    public const string CosignType = "cosign container image signature";

    [JsonPropertyName("critical")]
    public required CriticalSection Critical { get; init; }

    [JsonPropertyName("optional")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyDictionary<string, JsonElement>? Optional { get; init; }

    /// <summary>The payload wasme signs: the same field order and spacing cosign writes.</summary>
    public static byte[] Create(string dockerReference, Digest manifestDigest) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new SimpleSigningPayload
            {
                Critical = new()
                {
                    Identity = new() { DockerReference = dockerReference },
                    Image = new() { DockerManifestDigest = manifestDigest.ToString() },
                    Type = CosignType,
                },
            },
            SigningJsonContext.Written.SimpleSigningPayload);

    /// <summary>Null when the bytes are not a simple-signing claim.</summary>
    public static SimpleSigningPayload? TryParse(ReadOnlySpan<byte> payload)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize(payload, SigningJsonContext.Default.SimpleSigningPayload);
            return parsed?.Critical?.Image?.DockerManifestDigest is null ? null : parsed;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public sealed record CriticalSection
    {
        [JsonPropertyName("identity")]
        public required IdentitySection Identity { get; init; }

        [JsonPropertyName("image")]
        public required ImageSection Image { get; init; }

        [JsonPropertyName("type")]
        public required string Type { get; init; }
    }

    public sealed record IdentitySection
    {
        [JsonPropertyName("docker-reference")]
        public required string DockerReference { get; init; }
    }

    public sealed record ImageSection
    {
        [JsonPropertyName("docker-manifest-digest")]
        public required string DockerManifestDigest { get; init; }
    }
}
