using Wasme.Istio.Api;
using Wasme.Oci.Errors;
using Wasme.Signing.Bundles;
using Wasme.Signing.Keys;
using Wasme.Signing.Verification;

namespace Wasme.Operator.Verification;

/// <summary>
/// <c>spec.filter.verification</c> as a <see cref="VerificationPolicy"/>, checked completely (keys parse,
/// patterns compile, a trusted root exists for identities) so a bad policy is one message, not a failure later. Pure.
/// </summary>
public static class FilterVerificationPolicy
{
    /// <exception cref="OciUsageException">The policy cannot be used; the message names the field and the fix.</exception>
    public static VerificationPolicy From(VerificationSpec spec, TrustedRoot? trustedRoot)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var keys = spec.PublicKeys ?? [];
        for (var i = 0; i < keys.Count; i++)
        {
            // Import once here so a malformed key names its index in the spec rather than failing at verification.
            using var key = CosignKeys.ImportPublicKey(keys[i], $"spec.filter.verification.publicKeys[{i}]");
        }

        var identities = (spec.Identities ?? []).Select(i => new KeylessIdentity
        {
            Issuer = i.Issuer,
            IssuerRegex = i.IssuerRegExp,
            Subject = i.Subject,
            SubjectRegex = i.SubjectRegExp,
        }).ToList();
        if (identities.Count > 0 && trustedRoot is null)
        {
            throw new OciUsageException(
                "spec.filter.verification.identities needs the cluster's Sigstore trusted root, and none is configured: " +
                "start the operator and the cache with --sigstore-trusted-root FILE (docs/signing.md), or verify with publicKeys instead");
        }

        var policy = new VerificationPolicy { PublicKeys = [.. keys], Identities = identities, TrustedRoot = trustedRoot };
        policy.Validate();
        return policy;
    }

    /// <summary>Identifies a policy's content, so a changed policy is never answered from a cached verdict.</summary>
    public static string Fingerprint(VerificationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = (spec.PublicKeys ?? []).Concat((spec.Identities ?? []).Select(i => $"{i.Issuer}\u0001{i.IssuerRegExp}\u0001{i.Subject}\u0001{i.SubjectRegExp}"));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\u0000", parts))));
    }
}
