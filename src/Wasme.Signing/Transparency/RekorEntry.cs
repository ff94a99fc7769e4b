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
    /// <summary>The last second <see cref="DateTimeOffset"/> holds (9999-12-31T23:59:59Z).</summary>
    private const long MaxUnixSeconds = 253_402_300_799;

    /// <summary>The Merkle inclusion proof and signed checkpoint, when the signature carries them (bundles do; cosign's annotation does not).</summary>
    public RekorInclusionProof? InclusionProof { get; init; }

    public DateTimeOffset IntegratedAt => DateTimeOffset.FromUnixTimeSeconds(IntegratedTime);

    public string LogIdHex => Convert.ToHexStringLower(LogId);

    /// <exception cref="FormatException">A number of the entry is not one a log writes.</exception>
    public static RekorEntry FromBundle(BundleTlogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new RekorEntry(
            Convert.ToBase64String(entry.CanonicalizedBody),
            Time(Number(entry.IntegratedTime, "integratedTime")),
            Number(entry.LogIndex, "logIndex"),
            entry.LogId.KeyId,
            entry.InclusionPromise?.SignedEntryTimestamp)
        {
            InclusionProof = entry.InclusionProof is { } proof
                ? new RekorInclusionProof(
                    Number(proof.LogIndex, "inclusionProof.logIndex"),
                    Number(proof.TreeSize, "inclusionProof.treeSize"),
                    proof.RootHash ?? [],
                    proof.Hashes ?? [],
                    proof.Checkpoint?.Envelope)
                : null,
        };
    }

    /// <exception cref="FormatException">The entry's time is not one a clock holds.</exception>
    public static RekorEntry FromCosignAnnotation(CosignRekorBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new RekorEntry(bundle.Payload.Body, Time(bundle.Payload.IntegratedTime), bundle.Payload.LogIndex, Convert.FromHexString(bundle.Payload.LogId), bundle.SignedEntryTimestamp);
    }

    // Absent is 0, as protobuf's JSON mapping leaves a default out; anything past a long is no count a log keeps.
    private static long Number(string? value, string field) =>
        long.TryParse(value ?? "0", NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"its {field} '{value}' is not a count a transparency log writes");

    // Checked here, where the entry is read: the signature's claims (who controls the registry writes them) must not
    // reach a DateTimeOffset that throws, which would end the verification instead of refusing this one signature.
    private static long Time(long seconds) =>
        seconds is >= 0 and <= MaxUnixSeconds
            ? seconds
            : throw new FormatException($"its integratedTime {seconds} is not a time (seconds since 1970)");

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
