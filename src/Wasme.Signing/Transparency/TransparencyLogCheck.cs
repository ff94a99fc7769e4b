using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Wasme.Signing.Bundles;
using Wasme.Signing.Verification;

namespace Wasme.Signing.Transparency;

/// <summary>
/// Offline check of a Rekor entry: its signed entry timestamp (SET) is by a log of the trusted root
/// that was valid then, and the entry is about this very signature, payload and certificate.
/// </summary>
internal static class TransparencyLogCheck
{
    /// <summary>Null when the entry holds; otherwise why not.</summary>
    public static string? Check(RekorEntry entry, SignatureEvidence evidence, X509Certificate2 certificate, TrustedRoot trustedRoot) =>
        CheckInclusion(entry, trustedRoot) ?? CheckBody(entry, evidence, certificate);

    /// <summary>
    /// The entry's record of a signature whose check failed, when a trusted log vouches for it (null otherwise): which of
    /// payload, signature and certificate differ from what was logged, so a refusal can say which was changed.
    /// </summary>
    public static (bool Payload, bool Signature, bool Certificate)? Differences(RekorEntry entry, SignatureEvidence evidence, X509Certificate2 certificate, TrustedRoot trustedRoot)
    {
        if (CheckInclusion(entry, trustedRoot) is not null || entry.TryReadHashedRekord()?.Spec is not { } spec)
        {
            return null;
        }

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(evidence.Payload.Span));
        return (
            spec.Data?.Hash?.Algorithm != "sha256" || spec.Data.Hash.Value != payloadHash,
            spec.Signature?.Content is not { } logged || !logged.AsSpan().SequenceEqual(evidence.Signature),
            !SameCertificate(spec.Signature?.PublicKey?.Content, certificate));
    }

    /// <summary>Null when a log of the trusted root signed the entry (SET) and its inclusion proof, if any, holds.</summary>
    private static string? CheckInclusion(RekorEntry entry, TrustedRoot trustedRoot)
    {
        if (entry.SignedEntryTimestamp is not { Length: > 0 } set)
        {
            return "its Rekor entry has no signed entry timestamp (inclusion promise) to check offline";
        }

        var logs = (trustedRoot.Tlogs ?? []).Where(l => l.LogId.KeyId.AsSpan().SequenceEqual(entry.LogId)).ToList();
        if (logs.Count == 0)
        {
            return $"its Rekor entry is from log {entry.LogIdHex}, which the trusted root does not list";
        }

        var log = logs.FirstOrDefault(l => l.PublicKey.ValidFor?.Contains(entry.IntegratedAt) ?? true);
        if (log is null)
        {
            return $"the trusted root's key of log {entry.LogIdHex} was not valid at {entry.IntegratedAt:u}, when the entry says it was logged";
        }

        using (var key = ECDsa.Create())
        {
            try
            {
                key.ImportSubjectPublicKeyInfo(log.PublicKey.RawBytes, out _);
            }
            catch (CryptographicException ex)
            {
                return $"the trusted root's key of log {entry.LogIdHex} is not an ECDSA key wasme can use ({ex.Message})";
            }

            if (!SignatureCheck.VerifyEcdsa(key, entry.SignedEntryTimestampPayload(), set))
            {
                return $"its Rekor entry's signed entry timestamp does not verify with the key of log {entry.LogIdHex}: the entry was altered or not issued by that log";
            }

            if (entry.InclusionProof is { } proof && proof.Check(Convert.FromBase64String(entry.BodyBase64), key, log.LogId.KeyId, log.BaseUrl) is { } proofProblem)
            {
                return proofProblem;
            }
        }

        return null;
    }

    private static string? CheckBody(RekorEntry entry, SignatureEvidence evidence, X509Certificate2 certificate)
    {
        var body = entry.TryReadHashedRekord();
        if (body?.Spec is not { } spec)
        {
            return "its Rekor entry is not a hashedrekord entry";
        }

        if (body.ApiVersion != "0.0.1")
        {
            return $"its Rekor entry is a hashedrekord of version '{body.ApiVersion}'; wasme reads version 0.0.1 (Rekor v1), as cosign writes";
        }

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(evidence.Payload.Span));
        if (spec.Data?.Hash?.Algorithm != "sha256" || spec.Data.Hash.Value != payloadHash)
        {
            return "its Rekor entry records the hash of another payload";
        }

        if (spec.Signature?.Content is not { } logged || !logged.AsSpan().SequenceEqual(evidence.Signature))
        {
            return "its Rekor entry records another signature";
        }

        if (!SameCertificate(spec.Signature.PublicKey?.Content, certificate))
        {
            return "its Rekor entry records another certificate";
        }

        return null;
    }

    private static bool SameCertificate(byte[]? pem, X509Certificate2 certificate)
    {
        if (pem is null)
        {
            return false;
        }

        try
        {
            using var logged = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(pem));
            return logged.RawData.AsSpan().SequenceEqual(certificate.RawData);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
