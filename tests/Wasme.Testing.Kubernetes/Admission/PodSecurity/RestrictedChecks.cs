using System.Text.Json.Nodes;
using static Wasme.Testing.Kubernetes.Admission.PodSecurity.PodView;
using static Wasme.Testing.Kubernetes.Admission.PodSecurity.Wording;

namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>The checks only the restricted level adds (or tightens), at their latest policy versions, worded as the library's.</summary>
internal static class RestrictedChecks
{
    // The inline volume sources restricted allows; any other source is named by its field.
    private static readonly HashSet<string> AllowedVolumeSources =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] RestrictedVolumeSources =
    [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder",
        "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
    ];

    public static CheckResult? AllowPrivilegeEscalation(PodView pod)
    {
        if (pod.IsWindows)
        {
            return CheckResult.Allowed;
        }

        var containers = pod.Containers.Where(c => Flag(SecurityContext(c)?["allowPrivilegeEscalation"]) != false).Select(Name).ToList();
        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("allowPrivilegeEscalation != false", $"{Containers(containers)} must set securityContext.allowPrivilegeEscalation=false");
    }

    public static CheckResult? Capabilities(PodView pod)
    {
        if (pod.IsWindows)
        {
            return CheckResult.Allowed;
        }

        var missingDropAll = new List<string>();
        var addingForbidden = new List<string>();
        var forbidden = SortedSet();
        foreach (var container in pod.Containers)
        {
            if (SecurityContext(container)?["capabilities"] is not JsonObject capabilities)
            {
                missingDropAll.Add(Name(container));
                continue;
            }

            if (!Strings(capabilities["drop"]).Contains("ALL"))
            {
                missingDropAll.Add(Name(container));
            }

            var added = Strings(capabilities["add"]).Where(c => c != "NET_BIND_SERVICE").ToList();
            if (added.Count > 0)
            {
                addingForbidden.Add(Name(container));
                forbidden.UnionWith(added);
            }
        }

        var details = new List<string>();
        if (missingDropAll.Count > 0)
        {
            details.Add($"{Containers(missingDropAll)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (addingForbidden.Count > 0)
        {
            details.Add($"{Containers(addingForbidden)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? CheckResult.Allowed : new CheckResult("unrestricted capabilities", string.Join("; ", details));
    }

    public static CheckResult? Volumes(PodView pod)
    {
        var volumes = new List<string>();
        var types = SortedSet();
        foreach (var volume in pod.Volumes)
        {
            if (AllowedVolumeSources.Any(source => volume[source] is JsonObject))
            {
                continue;
            }

            volumes.Add(Name(volume));
            types.Add(RestrictedVolumeSources.FirstOrDefault(source => volume[source] is JsonObject) ?? "unknown");
        }

        return volumes.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("restricted volume types",
                $"{Pluralize("volume", "volumes", volumes.Count)} {JoinQuote(volumes)} {Pluralize("uses", "use", volumes.Count)} "
                + $"{Pluralize("restricted volume type", "restricted volume types", types.Count)} {JoinQuote(types)}");
    }

    public static CheckResult? RunAsNonRoot(PodView pod)
    {
        if (pod.InUserNamespace)
        {
            return CheckResult.Allowed;
        }

        var setters = new List<string>();
        var podNonRoot = false;
        switch (Flag(pod.PodSecurityContext?["runAsNonRoot"]))
        {
            case false:
                setters.Add("pod");
                break;
            case true:
                podNonRoot = true;
                break;
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in pod.Containers)
        {
            switch (Flag(SecurityContext(container)?["runAsNonRoot"]))
            {
                case false:
                    explicitlyBad.Add(Name(container));
                    break;
                case null when !podNonRoot:
                    implicitlyBad.Add(Name(container));
                    break;
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new CheckResult("runAsNonRoot != true", $"{string.Join(" and ", setters)} must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("runAsNonRoot != true", $"pod or {Containers(implicitlyBad)} must set securityContext.runAsNonRoot=true");
    }

    public static CheckResult? RunAsUser(PodView pod)
    {
        if (pod.InUserNamespace)
        {
            return CheckResult.Allowed;
        }

        var setters = new List<string>();
        if (Number(pod.PodSecurityContext?["runAsUser"]) == 0)
        {
            setters.Add("pod");
        }

        var containers = pod.Containers.Where(c => Number(SecurityContext(c)?["runAsUser"]) == 0).Select(Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0 ? CheckResult.Allowed : new CheckResult("runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0");
    }

    /// <summary>Restricted: a seccomp profile must be set (on the pod, or on every container) and be RuntimeDefault or Localhost.</summary>
    public static CheckResult? SeccompProfile(PodView pod)
    {
        if (pod.IsWindows)
        {
            return CheckResult.Allowed;
        }

        var setters = new List<string>();
        var values = SortedSet();
        var podSet = false;
        if (pod.PodSecurityContext?["seccompProfile"] is JsonObject podProfile)
        {
            if (BaselineChecks.ValidSeccomp(podProfile))
            {
                podSet = true;
            }
            else
            {
                setters.Add("pod");
                values.Add(Text(podProfile["type"]) ?? "");
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (SecurityContext(container)?["seccompProfile"] is JsonObject profile)
            {
                if (!BaselineChecks.ValidSeccomp(profile))
                {
                    explicitlyBad.Add(Name(container));
                    values.Add(Text(profile["type"]) ?? "");
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new CheckResult("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values)}");
        }

        return implicitlyBad.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("seccompProfile", $"pod or {Containers(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}
