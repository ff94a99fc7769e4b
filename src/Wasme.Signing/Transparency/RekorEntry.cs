using System.Globalization;
using System.Text;
using System.Text.Json;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;

namespace Wasme.Signing.Transparency;

/// <summary>
/// A Rekor transparency-log entry as a signature carries it (a bundle's <c>tlogEntries</c> or
/// cosign's <c>dev.sigstore.cosign/bundle</c> annotation), in one shape for checking.
/// </summary>
public sealed record RekorEntry(string BodyBase64, long IntegratedTime, long LogIndex, byte[] LogId, byte[]? SignedEntryTimestamp)
{
    /// <summary>The Merkle inclusion proof and signed checkpoint, when the signature carries them (bundles do; cosign's annotation does not).</summary>
    public RekorInclusionProof? InclusionProof { get; init; }

    public DateTimeOffset IntegratedAt => DateTimeOffset.FromUnixTimeSeconds(IntegratedTime);

    public string LogIdHex => Convert.ToHexStringLower(LogId);

    public static RekorEntry FromBundle(BundleTlogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new RekorEntry(
            Convert.ToBase64String(entry.CanonicalizedBody),
            long.Parse(entry.IntegratedTime ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
            long.Parse(entry.LogIndex ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
            entry.LogId.KeyId,
            entry.InclusionPromise?.SignedEntryTimestamp)
        {
            InclusionProof = entry.InclusionProof is { } proof
                ? new RekorInclusionProof(
                    long.Parse(proof.LogIndex ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
                    long.Parse(proof.TreeSize ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
                    proof.RootHash ?? [],
                    proof.Hashes ?? [],
                    proof.Checkpoint?.Envelope)
                : null,
        };
    }

    public static RekorEntry FromCosignAnnotation(CosignRekorBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new RekorEntry(bundle.Payload.Body, bundle.Payload.IntegratedTime, bundle.Payload.LogIndex, Convert.FromHexString(bundle.Payload.LogId), bundle.SignedEntryTimestamp);
    }

    /// <summary>
    /// The bytes Rekor signs for the SET: the canonical (RFC 8785) JSON of body, integratedTime,
    /// logID and logIndex. Keys are in code-point order and every value is ASCII (base64, hex, integers).
    /// </summary>
    public byte[] SignedEntryTimestampPayload()
    {
        var json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"body\":\"{BodyBase64}\",\"integratedTime\":{IntegratedTime},\"logID\":\"{LogIdHex}\",\"logIndex\":{LogIndex}}}");
        return Encoding.ASCII.GetBytes(json);
    }

    /// <summary>The entry's body when it is a <c>hashedrekord</c>; null otherwise.</summary>
    public HashedRekordBody? TryReadHashedRekord()
    {
        try
        {
            var body = Convert.FromBase64String(BodyBase64);
            var parsed = JsonSerializer.Deserialize(body, SigningJsonContext.Default.HashedRekordBody);
            return parsed?.Kind == "hashedrekord" ? parsed : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }
}
