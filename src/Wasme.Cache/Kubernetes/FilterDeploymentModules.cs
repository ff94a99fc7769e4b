using Wasme.Cache.Fetching;
using Wasme.Istio.Api;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Signing.Bundles;
using Wasme.Signing.Verification;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Which modules a FilterDeployment wants on the nodes, read from the status the operator maintains (docs/cache.md):
/// the module its applied objects use (<c>status.appliedImage</c>, <c>status.appliedModuleSha256</c>), and the one its
/// image resolves to now (<c>status.resolvedImage</c>, <c>status.moduleSha256</c>), which is about to be applied. Each
/// is pulled from the pinned image the operator recorded with it, never from <c>spec.filter.image</c>: after a failed
/// image change the spec names a repository that does not hold the digest still in use. Pure.
/// </summary>
public static class FilterDeploymentModules
{
    /// <summary>The wanted modules: none while the operator has resolved nothing; one or two afterwards.</summary>
    public static IReadOnlyList<WantedModule> Read(FilterDeployment deployment, TrustedRoot? trustedRoot = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var status = deployment.Status;
        var wanted = new List<WantedModule>(2);
        var verification = Verification(deployment.Spec.Filter?.Verification, trustedRoot);
        if (Pinned(deployment, status?.AppliedImage, status?.AppliedModuleSha256, verification) is { } applied)
        {
            wanted.Add(applied);
        }

        var resolved = Pinned(deployment, status?.ResolvedImage ?? LegacyResolvedImage(deployment), status?.ModuleSha256, verification);
        if (resolved is not null && wanted.TrueForAll(w => w.Module != resolved.Module))
        {
            wanted.Add(resolved);
        }

        return wanted;
    }

    /// <summary>An enforced policy as the operator builds it (<see cref="DeclaredPolicy"/>); <c>Warn</c> fetches regardless.</summary>
    private static ModuleVerification? Verification(VerificationSpec? spec, TrustedRoot? trustedRoot)
    {
        if (spec is null || (spec.Policy ?? VerificationMode.Enforce) != VerificationMode.Enforce)
        {
            return null;
        }

        try
        {
            return new ModuleVerification(
                DeclaredPolicy.Create(
                    [.. spec.PublicKeys ?? []],
                    [.. (spec.Identities ?? []).Select(i => new KeylessIdentity { Issuer = i.Issuer, IssuerRegex = i.IssuerRegExp, Subject = i.Subject, SubjectRegex = i.SubjectRegExp })],
                    trustedRoot,
                    "spec.filter.verification"),
                null);
        }
        catch (OciUsageException ex)
        {
            return new ModuleVerification(null, ex.Message);
        }
    }

    private static WantedModule? Pinned(FilterDeployment deployment, string? image, string? moduleSha256, ModuleVerification? verification)
    {
        if (!ModuleDigest.TryParse(moduleSha256, out var module)
            || !ImageReference.TryParse(image, out var reference)
            || reference.Digest is null)
        {
            return null;
        }

        var pull = deployment.Spec.Filter?.ImagePullOptions;
        var secret = pull?.PullSecret;
        return new WantedModule(
            module,
            reference.ToString(),
            string.IsNullOrEmpty(secret) ? null : new SecretReference(deployment.Metadata.NamespaceProperty ?? "default", secret),
            PlainHttp: pull?.PlainHttp ?? false,
            InsecureSkipVerify: pull?.InsecureSkipVerify ?? false,
            Verification: verification);
    }

    /// <summary>
    /// A status written by an operator older than <c>status.resolvedImage</c>: the spec's repository with the resolved digest,
    /// right until the spec's image changes. The current operator rewrites the status on its first pass.
    /// </summary>
    private static string? LegacyResolvedImage(FilterDeployment deployment) =>
        ImageReference.TryParse(deployment.Spec.Filter?.Image, out var reference) && Digest.TryParse(deployment.Status?.ImageDigest, out var digest)
            ? reference.WithDigest(digest).ToString()
            : null;
}
