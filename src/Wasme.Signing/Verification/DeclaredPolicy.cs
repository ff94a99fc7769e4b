using System.Security.Cryptography;
using System.Text;
using Wasme.Oci.Errors;
using Wasme.Signing.Bundles;
using Wasme.Signing.Keys;

namespace Wasme.Signing.Verification;

/// <summary>
/// A policy declared in a resource (a FilterDeployment's <c>spec.filter.verification</c>), checked completely — keys
/// parse, patterns compile, a trusted root exists for identities — so a bad policy is one message naming the field,
/// not a failure at verification. Operator and cache build theirs with this, so both judge alike. Pure.
/// </summary>
public static class DeclaredPolicy
{
    /// <exception cref="OciUsageException">The policy cannot be used; the message names the field (under <paramref name="field"/>) and the fix.</exception>
    public static VerificationPolicy Create(IReadOnlyList<string> publicKeys, IReadOnlyList<KeylessIdentity> identities, TrustedRoot? trustedRoot, string field)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        ArgumentNullException.ThrowIfNull(identities);
        for (var i = 0; i < publicKeys.Count; i++)
        {
            using var key = CosignKeys.ImportPublicKey(publicKeys[i], $"{field}.publicKeys[{i}]");
        }

        if (identities.Count > 0 && trustedRoot is null)
        {
            throw new OciUsageException(
                $"{field}.identities needs the cluster's Sigstore trusted root, and none is configured: " +
                "start the operator and the cache with --sigstore-trusted-root FILE (docs/signing.md), or verify with publicKeys instead");
        }

        var policy = new VerificationPolicy { PublicKeys = publicKeys, Identities = identities, TrustedRoot = trustedRoot };
        policy.Validate();
        return policy;
    }

    /// <summary>Identifies a policy's keys and identities, so a changed policy is never answered from a cached verdict.</summary>
    public static string Fingerprint(VerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var parts = policy.PublicKeys.Concat(policy.Identities.Select(i => $"{i.Issuer}\u0001{i.IssuerRegex}\u0001{i.Subject}\u0001{i.SubjectRegex}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u0000", parts))));
    }
}
