using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// kube-apiserver's built-in PodSecurity admission plugin with its default configuration (no exemptions, unlabelled
/// namespaces privileged), after k8s.io/pod-security-admission/admission: pods that break their namespace's enforce
/// level are refused (403), pods and pod templates that break the warn level get <c>Warning</c> headers, namespace
/// labels are validated, and tightening a namespace's enforce level warns about the pods already there.
/// Runs on creates and updates of the main resource, dry runs included, after validation, as validating admission does.
/// </summary>
internal sealed class PodSecurityAdmission
{
    private const int MaxPodsToCheck = 3000;

    // The workload kinds whose pod template is judged, and where each keeps it.
    private static readonly Dictionary<(string Group, string Plural), string[]> TemplatePaths = new()
    {
        [("", "replicationcontrollers")] = ["spec", "template"],
        [("", "podtemplates")] = ["template"],
        [("apps", "replicasets")] = ["spec", "template"],
        [("apps", "deployments")] = ["spec", "template"],
        [("apps", "statefulsets")] = ["spec", "template"],
        [("apps", "daemonsets")] = ["spec", "template"],
        [("batch", "jobs")] = ["spec", "template"],
        [("batch", "cronjobs")] = ["spec", "jobTemplate", "spec", "template"],
    };

    private readonly ObjectStore _store;

    public PodSecurityAdmission(ObjectStore store) => _store = store;

    /// <summary>Admits a create (<paramref name="old"/> null) or update; throws the refusal, adds warnings to <paramref name="warnings"/>.</summary>
    public void Validate(ResourceType type, JsonObject obj, JsonObject? old, string? subresource, List<string> warnings)
    {
        if (subresource is not null || type.IsCustom)
        {
            return;
        }

        switch (type.Group, type.Plural)
        {
            case ("", "namespaces"):
                ValidateNamespace(type, obj, old, warnings);
                break;
            case ("", "pods"):
                ValidatePod(type, obj, old, warnings);
                break;
            default:
                if (TemplatePaths.TryGetValue((type.Group, type.Plural), out var path))
                {
                    ValidatePodController(obj, path, warnings);
                }

                break;
        }
    }

    private void ValidateNamespace(ResourceType type, JsonObject ns, JsonObject? old, List<string> warnings)
    {
        var (policy, errors) = PodSecurityPolicy.FromLabels(ns.Labels());
        if (old is null)
        {
            if (errors.Count > 0)
            {
                throw ApiException.Invalid(type, ns.Name(), errors);
            }

            return;
        }

        var (oldPolicy, oldErrors) = PodSecurityPolicy.FromLabels(old.Labels());
        if (errors.Count > 0 && (oldErrors.Count == 0 || !errors.SequenceEqual(oldErrors)))
        {
            throw ApiException.Invalid(type, ns.Name(), errors);
        }

        // Only a stricter (or re-versioned) enforce level can refuse pods that are already running.
        if (policy.Enforce == oldPolicy.Enforce
            || policy.Enforce.Level == PodSecurityLevel.Privileged
            || (policy.Enforce.Version == oldPolicy.Enforce.Version && policy.Enforce.Level <= oldPolicy.Enforce.Level))
        {
            return;
        }

        warnings.AddRange(WarningsForExistingPods(ns.Name(), policy.Enforce));
    }

    private void ValidatePod(ResourceType type, JsonObject pod, JsonObject? old, List<string> warnings)
    {
        if (NamespacePolicy(pod.Namespace()) is not { } found || (found.LabelsValid && found.Policy.FullyPrivileged))
        {
            return;
        }

        var policy = found.Policy;
        if (old is not null && !IsSignificantPodUpdate(pod, old))
        {
            return;
        }

        var view = new PodView(pod["metadata"] as JsonObject, pod["spec"] as JsonObject ?? []);
        var enforced = PodSecurityEvaluator.Evaluate(policy.Enforce.Level, view);
        if (!enforced.Allowed)
        {
            throw new ApiException(403, "Forbidden",
                $"{type.QualifiedResource} \"{pod.Name()}\" is forbidden: violates PodSecurity \"{policy.Enforce}\": {enforced.ForbiddenDetail}",
                ApiException.DetailsOf(type, pod.Name()));
        }

        Warn(policy, view, warnings);
    }

    private void ValidatePodController(JsonObject obj, string[] templatePath, List<string> warnings)
    {
        if (NamespacePolicy(obj.Namespace()) is not { } found
            || (found.LabelsValid && found.Policy.Warn.Level == PodSecurityLevel.Privileged && found.Policy.Audit.Level == PodSecurityLevel.Privileged))
        {
            return;
        }

        var policy = found.Policy;

        JsonNode? template = obj;
        foreach (var step in templatePath)
        {
            template = template?[step];
        }

        if (template is not JsonObject podTemplate)
        {
            return;
        }

        // Workloads are never refused: the pods they would create are, later, by the enforce level.
        Warn(policy, new PodView(podTemplate["metadata"] as JsonObject, podTemplate["spec"] as JsonObject ?? []), warnings);
    }

    private static void Warn(PodSecurityPolicy policy, PodView view, List<string> warnings)
    {
        var result = PodSecurityEvaluator.Evaluate(policy.Warn.Level, view);
        if (!result.Allowed)
        {
            warnings.Add($"would violate PodSecurity \"{policy.Warn}\": {result.ForbiddenDetail}");
        }
    }

    /// <summary>The namespace's policy and whether its labels parsed; null when the namespace does not exist (another check answers that).</summary>
    private (PodSecurityPolicy Policy, bool LabelsValid)? NamespacePolicy(string ns)
    {
        if (_store.Get(new ObjectKey("", "namespaces", "", ns)) is not { } namespaceObject)
        {
            return null;
        }

        var (policy, errors) = PodSecurityPolicy.FromLabels(namespaceObject.Labels());
        return (policy, errors.Count == 0);
    }

    /// <summary>
    /// "existing pods in namespace ... violate the new PodSecurity enforce level ...", then one line per distinct set of
    /// reasons naming the first pod and how many others share it; one pod per controller is looked at first.
    /// </summary>
    private List<string> WarningsForExistingPods(string ns, LevelVersion enforce)
    {
        var pods = _store.List("", "pods", ns).Items.Select(i => i.Object).ToList();
        var seenControllers = new HashSet<string>(StringComparer.Ordinal);
        var first = new List<JsonObject>();
        var duplicates = new List<JsonObject>();
        foreach (var pod in pods)
        {
            var controller = (pod["metadata"]?["ownerReferences"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .FirstOrDefault(r => PodView.Flag(r["controller"]) == true)?.GetString("uid");
            (controller is null || seenControllers.Add(controller) ? first : duplicates).Add(pod);
        }

        var prioritized = first.Concat(duplicates).ToList();
        var checkedPods = prioritized.Take(MaxPodsToCheck).ToList();
        var byReason = new Dictionary<string, (string FirstPod, int Count)>(StringComparer.Ordinal);
        foreach (var pod in checkedPods)
        {
            var result = PodSecurityEvaluator.Evaluate(enforce.Level, new PodView(pod["metadata"] as JsonObject, pod["spec"] as JsonObject ?? []));
            if (result.Allowed)
            {
                continue;
            }

            var reason = result.ForbiddenReason;
            byReason[reason] = byReason.TryGetValue(reason, out var seen)
                ? (string.CompareOrdinal(pod.Name(), seen.FirstPod) < 0 ? pod.Name() : seen.FirstPod, seen.Count + 1)
                : (pod.Name(), 1);
        }

        var warnings = new List<string>();
        if (checkedPods.Count < prioritized.Count)
        {
            warnings.Add($"new PodSecurity enforce level only checked against the first {checkedPods.Count} of {prioritized.Count} existing pods");
        }

        if (byReason.Count > 0)
        {
            warnings.Add($"existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"{enforce}\"");
        }

        warnings.AddRange(byReason
            .Select(r => r.Value.Count switch
            {
                1 => $"{r.Value.FirstPod}: {r.Key}",
                2 => $"{r.Value.FirstPod} (and 1 other pod): {r.Key}",
                _ => $"{r.Value.FirstPod} (and {r.Value.Count - 1} other pods): {r.Key}",
            })
            .Order(StringComparer.Ordinal));
        return warnings;
    }

    /// <summary>Of a pod's mutable fields only container images (and added ephemeral containers) can change what the checks see.</summary>
    private static bool IsSignificantPodUpdate(JsonObject pod, JsonObject old)
    {
        static List<JsonObject> List(JsonObject obj, string field) => obj["spec"]?[field] is JsonArray array ? [.. array.OfType<JsonObject>()] : [];
        static string? Image(JsonObject container) => container.GetString("image");
        foreach (var field in new[] { "containers", "initContainers" })
        {
            var (now, before) = (List(pod, field), List(old, field));
            if (now.Count != before.Count || now.Zip(before).Any(p => Image(p.First) != Image(p.Second)))
            {
                return true;
            }
        }

        var oldEphemeral = List(old, "ephemeralContainers").DistinctBy(PodView.Name).ToDictionary(PodView.Name, StringComparer.Ordinal);
        return List(pod, "ephemeralContainers").Any(c => !oldEphemeral.TryGetValue(PodView.Name(c), out var before) || Image(c) != Image(before));
    }
}
