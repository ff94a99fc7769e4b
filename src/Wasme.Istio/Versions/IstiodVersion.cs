using k8s.Models;

namespace Wasme.Istio.Versions;

/// <summary>
/// Which Istio release serves a namespace: the istiod Deployment (label <c>app=istiod</c>) of the namespace's
/// <c>istio.io/rev</c> revision, or the default one, read from its <c>discovery</c> container's image tag.
/// Found by label rather than by the name <c>istiod</c> (original issue #245). Pure: callers list the Deployments.
/// </summary>
public static class IstiodVersion
{
    public const string RevisionLabel = "istio.io/rev";

    /// <summary>The label selector that lists istiod Deployments.</summary>
    public const string IstiodSelector = "app=istiod";

    /// <summary>The revision a namespace asks for, from its labels; null for the default revision.</summary>
    public static string? RevisionOf(IDictionary<string, string>? namespaceLabels) =>
        namespaceLabels?.TryGetValue(RevisionLabel, out var revision) == true ? revision : null;

    private static readonly string[] VersionLabels = ["app.kubernetes.io/version", "operator.istio.io/version"];

    /// <summary>The version of the istiod of <paramref name="revision"/> among <paramref name="istiods"/>, and where it was read.</summary>
    public static (IstioVersion? Version, string Source) Find(IEnumerable<V1Deployment> istiods, string istioNamespace, string? revision)
    {
        ArgumentNullException.ThrowIfNull(istiods);
        var all = istiods.OrderBy(d => d.Metadata?.Name, StringComparer.Ordinal).ToList();
        var candidates = all
            .Where(d => revision is null
                ? d.Metadata?.Labels?.TryGetValue(RevisionLabel, out var r) != true || r == "default"
                : d.Metadata?.Labels?.TryGetValue(RevisionLabel, out var r2) == true && r2 == revision)
            .ToList();
        foreach (var istiod in candidates)
        {
            if (VersionOf(istiod) is { } found)
            {
                return (found.Version, $"{istioNamespace}/{istiod.Metadata!.Name} ({found.From})");
            }
        }

        var wanted = revision is null ? $"no istiod (label {IstiodSelector}) of the default revision in {istioNamespace}" : $"no istiod of revision {revision} in {istioNamespace}";
        if (candidates.Count == 0)
        {
            // A revision tag (istio.io/rev=prod after `istioctl tag set prod --revision 1-26`), or a default revision set by a
            // tag, names no istiod Deployment; it points at one of those present, so when they all run one release, that is it.
            var versions = all.Select(VersionOf).ToList();
            if (versions.Count > 0 && versions.All(v => v is not null) && versions.Select(v => v!.Value.Version).Distinct().Count() == 1)
            {
                return (versions[0]!.Value.Version, $"{wanted} (a revision tag?), and every istiod in {istioNamespace} runs Istio {versions[0]!.Value.Version}");
            }

            var revisions = all.Select(d => d.Metadata?.Labels?.TryGetValue(RevisionLabel, out var r) == true ? r : "default").Distinct().Order(StringComparer.Ordinal).ToList();
            return (null, revisions.Count == 0 ? $"no istiod (label {IstiodSelector}) in {istioNamespace}" : $"{wanted}; its istiods are of revisions {string.Join(", ", revisions)}");
        }

        return (null, wanted);
    }

    // The discovery image's tag, else a version label.
    private static (IstioVersion Version, string From)? VersionOf(V1Deployment istiod)
    {
        var image = istiod.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == "discovery")?.Image;
        if (IstioVersion.TryParse(TagOf(image), out var version))
        {
            return (version, image!);
        }

        // An image pinned by digest alone has no tag; Istio's Helm charts and istioctl label the Deployment instead.
        foreach (var label in VersionLabels)
        {
            if (istiod.Metadata?.Labels?.TryGetValue(label, out var text) == true && IstioVersion.TryParse(text, out version))
            {
                return (version, $"label {label}={text}");
            }
        }

        return null;
    }

    // registry[:port]/path[:tag][@digest]: the tag follows the last ':' of the last path component, before any digest
    // (platform teams pin istiod by digest, and a registry port is no tag).
    private static string? TagOf(string? image)
    {
        if (image is null)
        {
            return null;
        }

        var at = image.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? image[..at] : image;
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[(colon + 1)..] : null;
    }
}
