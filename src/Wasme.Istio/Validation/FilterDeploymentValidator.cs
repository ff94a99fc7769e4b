using System.Text.RegularExpressions;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;

namespace Wasme.Istio.Validation;

/// <summary>
/// Checks a FilterDeployment on its own (no image, no cluster) and returns every problem at once, so a user
/// fixes the file in one pass and the operator can put them all in status.
/// </summary>
public static partial class FilterDeploymentValidator
{
    public static IReadOnlyList<ValidationProblem> Validate(FilterDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var problems = new List<ValidationProblem>();

        if (string.IsNullOrEmpty(deployment.Metadata?.Name))
        {
            problems.Add(new("metadata.name", null, "the FilterDeployment has no name", "set metadata.name"));
        }

        ValidateFilter(deployment, problems);
        ValidateDeployment(deployment.Spec?.Deployment, problems);
        return problems;
    }

    /// <summary>The filter id in effect: <c>spec.filter.id</c>, else <c>&lt;name&gt;.&lt;namespace&gt;</c> as in the original.</summary>
    public static string EffectiveId(FilterDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var id = deployment.Spec?.Filter?.Id;
        return !string.IsNullOrEmpty(id) ? id : $"{deployment.Metadata?.Name}.{EffectiveNamespace(deployment)}";
    }

    public static string EffectiveNamespace(FilterDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var ns = deployment.Metadata?.NamespaceProperty;
        return string.IsNullOrEmpty(ns) ? "default" : ns;
    }

    private static void ValidateFilter(FilterDeployment deployment, List<ValidationProblem> problems)
    {
        var filter = deployment.Spec?.Filter;
        if (filter is null)
        {
            problems.Add(new("spec.filter", null, "the filter is missing", "add spec.filter with at least 'image'"));
            return;
        }

        if (string.IsNullOrWhiteSpace(filter.Image))
        {
            problems.Add(new("spec.filter.image", null, "the image is missing", "set spec.filter.image to an OCI reference such as registry.example.com/team/filter:v1"));
        }
        else if (!ImageReferencePattern().IsMatch(filter.Image))
        {
            problems.Add(new("spec.filter.image", filter.Image, "not an image reference", "write [registry/]repository[:tag][@sha256:<64 hex>] in lower case, without spaces or a scheme"));
        }

        if (deployment.Metadata?.Name is { Length: > 0 })
        {
            var id = EffectiveId(deployment);
            if (!FilterIdPattern().IsMatch(id) || id.Length > 63)
            {
                problems.Add(new(
                    string.IsNullOrEmpty(filter.Id) ? "metadata.name" : "spec.filter.id",
                    id,
                    "the filter id ends the names of Kubernetes objects and is a label value, so it must be 1-63 characters of dot-separated parts, each lower-case letters, digits or '-', starting and ending with a letter or digit",
                    "set spec.filter.id to a shorter lower-case id such as 'add-header'"));
            }
        }

        if (filter.RootId is { Length: > 256 })
        {
            problems.Add(new("spec.filter.rootID", filter.RootId[..32] + "...", "the root id is longer than 256 characters", "use the root id the filter registers"));
        }

        var configProblems = new List<ValidationProblem>();
        var config = FilterConfiguration.Read(filter.Config, configProblems);
        problems.AddRange(configProblems);

        var delivery = deployment.Spec?.Deployment?.Istio?.Delivery ?? DeliveryMode.Remote;
        if (delivery == DeliveryMode.WasmPlugin && config is { Json: null })
        {
            problems.Add(new(
                "spec.filter.config",
                Shorten(config.Text),
                "WasmPlugin delivery passes pluginConfig as a JSON object, so a plain string config cannot reach the filter",
                "write the config as a JSON object, or use delivery Remote or HostPath for a string config"));
        }

        ValidateVerification(filter.Verification, problems);

        var secret = filter.ImagePullOptions?.PullSecret;
        if (!string.IsNullOrEmpty(secret) && (!DnsSubdomainPattern().IsMatch(secret) || secret.Length > 253))
        {
            problems.Add(new("spec.filter.imagePullOptions.pullSecret", secret, "not a valid Secret name", "use the name of a Secret in the FilterDeployment's namespace (lower case, digits, '-' and '.')"));
        }
    }

    // The CRD's CEL rules on spec.filter.verification, restated so that files checked offline (wasme render) are refused
    // as kube-apiserver refuses them, with its messages (CrdTests keeps one sample per rule).
    private static void ValidateVerification(VerificationSpec? verification, List<ValidationProblem> problems)
    {
        if (verification is null)
        {
            return;
        }

        if (verification.PublicKeys is not { Count: > 0 } && verification.Identities is not { Count: > 0 })
        {
            problems.Add(new("spec.filter.verification", null, "give at least one of publicKeys or identities", "list the cosign public keys (publicKeys) or keyless signers (identities) the image must be signed by, or remove verification"));
        }

        for (var i = 0; i < (verification.Identities?.Count ?? 0); i++)
        {
            var identity = verification.Identities![i];
            if ((identity.Issuer is null) == (identity.IssuerRegExp is null))
            {
                problems.Add(new($"spec.filter.verification.identities[{i}]", null, "give exactly one of issuer or issuerRegExp", "keep issuer for an exact OIDC issuer, or issuerRegExp for a pattern"));
            }

            if ((identity.Subject is null) == (identity.SubjectRegExp is null))
            {
                problems.Add(new($"spec.filter.verification.identities[{i}]", null, "give exactly one of subject or subjectRegExp", "keep subject for an exact signer identity, or subjectRegExp for a pattern"));
            }
        }
    }

    private static void ValidateDeployment(DeploymentSpec? deployment, List<ValidationProblem> problems)
    {
        var istio = deployment?.Istio;
        if (istio is null)
        {
            problems.Add(new("spec.deployment.istio", null, "the deployment target is missing", "add spec.deployment.istio with 'kind' (Deployment, DaemonSet or StatefulSet) and optional 'labels'"));
            return;
        }

        foreach (var (key, value) in istio.Labels ?? new Dictionary<string, string>())
        {
            if (!LabelKeyPattern().IsMatch(key) || key.Length > 317)
            {
                problems.Add(new($"spec.deployment.istio.labels[{key}]", key, "not a valid label key", "use [prefix/]name with letters, digits, '-', '_' and '.'"));
            }

            if (value.Length > 63 || (value.Length > 0 && !LabelValuePattern().IsMatch(value)))
            {
                problems.Add(new($"spec.deployment.istio.labels[{key}]", value, "not a valid label value", "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"));
            }
        }

        if (!string.IsNullOrEmpty(istio.IstioNamespace) && !DnsLabelPattern().IsMatch(istio.IstioNamespace))
        {
            problems.Add(new("spec.deployment.istio.istioNamespace", istio.IstioNamespace, "not a valid namespace name", "use the namespace istiod runs in, e.g. istio-system"));
        }

        // No rule on imagePullOptions for WasmPlugin: the operator needs plainHttp/insecureSkipVerify to resolve the
        // digest, and istio-agent falls back to plain HTTP by itself; TLS skip-verify is a warning from the translation.
    }

    internal static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    // [registry[:port]/]path[:tag][@sha256:hex]; repository components lower-case, as the distribution spec requires.
    [GeneratedRegex(@"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageReferencePattern();

    // A DNS subdomain (kube-apiserver's rule for the object names it ends): "a..b" or "a.-b" would name objects it refuses.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex FilterIdPattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainPattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelPattern();

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKeyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValuePattern();
}
