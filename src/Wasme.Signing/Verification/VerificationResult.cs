using Wasme.Oci.References;

namespace Wasme.Signing.Verification;

/// <summary>
/// The outcome of verifying one image digest. On success <see cref="Signer"/> says who signed
/// ("key sha256:…" or "subject from issuer"); on failure <see cref="Reason"/> is the most telling
/// reason among the signatures found and <see cref="Message"/> one line naming it.
/// </summary>
public sealed record VerificationResult
{
    public required Digest ManifestDigest { get; init; }

    public bool IsVerified => Reason is null;

    public VerificationFailureReason? Reason { get; init; }

    public required string Message { get; init; }

    public string? Signer { get; init; }

    /// <summary>Every signature looked at and why it was refused (empty when the first one verified).</summary>
    public IReadOnlyList<SignatureRejection> Rejections { get; init; } = [];

    public static VerificationResult Verified(Digest digest, string signer) =>
        new() { ManifestDigest = digest, Signer = signer, Message = $"{digest} is signed by {signer}" };
}

/// <summary>Why one signature did not satisfy the policy.</summary>
public sealed record SignatureRejection(string Source, VerificationFailureReason Reason, string Message);
