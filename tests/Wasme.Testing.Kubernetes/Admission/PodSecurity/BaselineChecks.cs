using System.Text.Json.Nodes;
using static Wasme.Testing.Kubernetes.Admission.PodSecurity.PodView;
using static Wasme.Testing.Kubernetes.Admission.PodSecurity.Wording;

namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// The baseline level's checks, each at its latest policy version, worded as the pod-security-admission library words
/// them (k8s.io/pod-security-admission/policy/check_*.go). Each returns null when the pod passes.
/// </summary>
internal static class BaselineChecks
{
    private static readonly HashSet<string> DefaultCapabilities =
    [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ];

    private static readonly HashSet<string> SafeSysctls =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
    ];

    private static readonly HashSet<string> SeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    private const string AppArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

    public static CheckResult? AppArmorProfile(PodView pod)
    {
        static bool AllowedType(JsonNode? profile) => Text(profile?["type"]) is "RuntimeDefault" or "Localhost";
        var setters = new List<string>();
        var values = SortedSet();
        if (pod.PodSecurityContext?["appArmorProfile"] is JsonObject podProfile && !AllowedType(podProfile))
        {
            setters.Add("pod");
            values.Add(Text(podProfile["type"]) ?? "");
        }

        var containers = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (SecurityContext(container)?["appArmorProfile"] is JsonObject profile && !AllowedType(profile))
            {
                containers.Add(Name(container));
                values.Add(Text(profile["type"]) ?? "");
            }
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        var annotations = pod.Annotations
            .Where(a => a.Key.StartsWith(AppArmorAnnotationPrefix, StringComparison.Ordinal)
                && !(a.Value.Length == 0 || a.Value == "runtime/default" || a.Value.StartsWith("localhost/", StringComparison.Ordinal)))
            .Select(a => $"{a.Key}={GoQuote(a.Value)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var badValues = values.Concat(annotations).ToList();
        if (annotations.Count > 0)
        {
            setters.Add(Pluralize("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0
            ? CheckResult.Allowed
            : new CheckResult(
                Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.Count),
                $"{string.Join(" and ", setters)} must not set AppArmor profile type to {JoinQuote(badValues)}");
    }

    public static CheckResult? Capabilities(PodView pod)
    {
        var containers = new List<string>();
        var added = SortedSet();
        foreach (var container in pod.Containers)
        {
            var bad = Strings(SecurityContext(container)?["capabilities"]?["add"]).Where(c => !DefaultCapabilities.Contains(c)).ToList();
            if (bad.Count > 0)
            {
                containers.Add(Name(container));
                added.UnionWith(bad);
            }
        }

        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("non-default capabilities", $"{Containers(containers)} must not include {JoinQuote(added)} in securityContext.capabilities.add");
    }

    public static CheckResult? HostNamespaces(PodView pod)
    {
        var shared = new[] { "hostNetwork", "hostPID", "hostIPC" }.Where(field => Flag(pod.Spec[field]) == true).Select(field => $"{field}=true").ToList();
        return shared.Count == 0 ? CheckResult.Allowed : new CheckResult("host namespaces", string.Join(", ", shared));
    }

    public static CheckResult? HostPathVolumes(PodView pod)
    {
        var volumes = pod.Volumes.Where(v => v["hostPath"] is JsonObject).Select(Name).ToList();
        return volumes.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("hostPath volumes", $"{Pluralize("volume", "volumes", volumes.Count)} {JoinQuote(volumes)}");
    }

    public static CheckResult? HostPorts(PodView pod)
    {
        var containers = new List<string>();
        var ports = SortedSet();
        foreach (var container in pod.Containers)
        {
            var bad = (container["ports"] as JsonArray ?? []).Select(p => Number(p?["hostPort"]) ?? 0).Where(p => p != 0).ToList();
            if (bad.Count > 0)
            {
                containers.Add(Name(container));
                ports.UnionWith(bad.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("hostPort",
                $"{Containers(containers)} {Pluralize("uses", "use", containers.Count)} {Pluralize("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}");
    }

    public static CheckResult? HostProbesAndHostLifecycle(PodView pod)
    {
        static IEnumerable<string> Hosts(JsonNode? handler) =>
            new[] { Text(handler?["httpGet"]?["host"]), Text(handler?["tcpSocket"]?["host"]) }.Where(h => !string.IsNullOrEmpty(h))!;
        var containers = SortedSet();
        var hosts = SortedSet();
        foreach (var container in pod.Containers)
        {
            var handlers = new[] { container["livenessProbe"], container["readinessProbe"], container["startupProbe"], container["lifecycle"]?["postStart"], container["lifecycle"]?["preStop"] };
            var bad = handlers.SelectMany(Hosts).ToList();
            if (bad.Count > 0)
            {
                containers.Add(Name(container));
                hosts.UnionWith(bad);
            }
        }

        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("probe or lifecycle host",
                $"{Containers(containers)} {Pluralize("uses", "use", containers.Count)} {Pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.Count)} {JoinQuote(hosts)}");
    }

    public static CheckResult? Privileged(PodView pod)
    {
        var containers = pod.Containers.Where(c => Flag(SecurityContext(c)?["privileged"]) == true).Select(Name).ToList();
        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("privileged", $"{Containers(containers)} must not set securityContext.privileged=true");
    }

    /// <summary>Baseline allows any procMount in a user namespace; restricted (<see cref="ProcMountAnywhere"/>) does not.</summary>
    public static CheckResult? ProcMount(PodView pod) => pod.InUserNamespace ? CheckResult.Allowed : ProcMountAnywhere(pod);

    public static CheckResult? ProcMountAnywhere(PodView pod)
    {
        var containers = new List<string>();
        var types = SortedSet();
        foreach (var container in pod.Containers)
        {
            if (Text(SecurityContext(container)?["procMount"]) is { } procMount && procMount != "Default")
            {
                containers.Add(Name(container));
                types.Add(procMount);
            }
        }

        return containers.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("procMount", $"{Containers(containers)} must not set securityContext.procMount to {JoinQuote(types)}");
    }

    public static CheckResult? SeLinuxOptions(PodView pod)
    {
        var badTypes = SortedSet();
        var (setUser, setRole) = (false, false);
        bool Valid(JsonObject options)
        {
            var valid = true;
            var type = Text(options["type"]) ?? "";
            if (!SeLinuxTypes.Contains(type))
            {
                valid = false;
                badTypes.Add(type);
            }

            if (!string.IsNullOrEmpty(Text(options["user"])))
            {
                valid = false;
                setUser = true;
            }

            if (!string.IsNullOrEmpty(Text(options["role"])))
            {
                valid = false;
                setRole = true;
            }

            return valid;
        }

        var setters = new List<string>();
        if (pod.PodSecurityContext?["seLinuxOptions"] is JsonObject podOptions && !Valid(podOptions))
        {
            setters.Add("pod");
        }

        var containers = pod.Containers.Where(c => SecurityContext(c)?["seLinuxOptions"] is JsonObject options && !Valid(options)).Select(Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        if (setters.Count == 0)
        {
            return CheckResult.Allowed;
        }

        var data = new List<string>();
        if (badTypes.Count > 0)
        {
            data.Add($"{Pluralize("type", "types", badTypes.Count)} {JoinQuote(badTypes)}");
        }

        if (setUser)
        {
            data.Add("user may not be set");
        }

        if (setRole)
        {
            data.Add("role may not be set");
        }

        return new CheckResult("seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", data)}");
    }

    /// <summary>Baseline: a seccomp profile, where set, is RuntimeDefault or Localhost (never Unconfined).</summary>
    public static CheckResult? SeccompProfile(PodView pod)
    {
        var setters = new List<string>();
        var values = SortedSet();
        if (pod.PodSecurityContext?["seccompProfile"] is JsonObject podProfile && !ValidSeccomp(podProfile))
        {
            setters.Add("pod");
            values.Add(Text(podProfile["type"]) ?? "");
        }

        var containers = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (SecurityContext(container)?["seccompProfile"] is JsonObject profile && !ValidSeccomp(profile))
            {
                containers.Add(Name(container));
                values.Add(Text(profile["type"]) ?? "");
            }
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values)}");
    }

    public static bool ValidSeccomp(JsonObject profile) => Text(profile["type"]) is "RuntimeDefault" or "Localhost";

    public static CheckResult? Sysctls(PodView pod)
    {
        var forbidden = (pod.PodSecurityContext?["sysctls"] as JsonArray ?? [])
            .Select(s => Text(s?["name"]) ?? "")
            .Where(name => !SafeSysctls.Contains(name))
            .ToList();
        return forbidden.Count == 0 ? CheckResult.Allowed : new CheckResult("forbidden sysctls", string.Join(", ", forbidden));
    }

    public static CheckResult? WindowsHostProcess(PodView pod)
    {
        static bool HostProcess(JsonObject? context) => Flag(context?["windowsOptions"]?["hostProcess"]) == true;
        var setters = new List<string>();
        var containers = pod.Containers.Where(c => HostProcess(SecurityContext(c))).Select(Name).ToList();
        if (HostProcess(pod.PodSecurityContext))
        {
            setters.Add("pod");
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0
            ? CheckResult.Allowed
            : new CheckResult("hostProcess", $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true");
    }
}
