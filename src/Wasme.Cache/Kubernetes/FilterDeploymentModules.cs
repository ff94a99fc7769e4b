using Wasme.Cache.Fetching;
using Wasme.Istio.Api;
using Wasme.Oci.References;

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
    public static IReadOnlyList<WantedModule> Read(FilterDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var status = deployment.Status;
        var wanted = new List<WantedModule>(2);
        if (Pinned(deployment, status?.AppliedImage, status?.AppliedModuleSha256) is { } applied)
        {
            wanted.Add(applied);
        }

        var resolved = Pinned(deployment, status?.ResolvedImage ?? LegacyResolvedImage(deployment), status?.ModuleSha256);
        if (resolved is not null && wanted.TrueForAll(w => w.Module != resolved.Module))
        {
            wanted.Add(resolved);
        }

        return wanted;
    }

    private static WantedModule? Pinned(FilterDeployment deployment, string? image, string? moduleSha256)
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
            InsecureSkipVerify: pull?.InsecureSkipVerify ?? false);
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
