namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// Which checks make up each level, in the order the library runs them (and so words its messages): baseline checks
/// sorted by ID, then restricted checks sorted by ID, where a restricted check replaces the baseline one it tightens.
/// Every policy version is judged by the latest checks (docs/testing.md).
/// </summary>
internal static class PodSecurityEvaluator
{
    private sealed record Check(string Id, Func<PodView, CheckResult?> Run, string? Overrides = null);

    private static readonly Check[] BaselineChecksById =
    [
        new("appArmorProfile", BaselineChecks.AppArmorProfile),
        new("capabilities_baseline", BaselineChecks.Capabilities),
        new("hostNamespaces", BaselineChecks.HostNamespaces),
        new("hostPathVolumes", BaselineChecks.HostPathVolumes),
        new("hostPorts", BaselineChecks.HostPorts),
        new("hostProbesAndHostLifecycle", BaselineChecks.HostProbesAndHostLifecycle),
        new("privileged", BaselineChecks.Privileged),
        new("procMount", BaselineChecks.ProcMount),
        new("seLinuxOptions", BaselineChecks.SeLinuxOptions),
        new("seccompProfile_baseline", BaselineChecks.SeccompProfile),
        new("sysctls", BaselineChecks.Sysctls),
        new("windowsHostProcess", BaselineChecks.WindowsHostProcess),
    ];

    private static readonly Check[] RestrictedOnly =
    [
        new("allowPrivilegeEscalation", RestrictedChecks.AllowPrivilegeEscalation),
        new("capabilities_restricted", RestrictedChecks.Capabilities, Overrides: "capabilities_baseline"),
        new("procMount_restricted", BaselineChecks.ProcMountAnywhere, Overrides: "procMount"),
        new("restrictedVolumes", RestrictedChecks.Volumes, Overrides: "hostPathVolumes"),
        new("runAsNonRoot", RestrictedChecks.RunAsNonRoot),
        new("runAsUser", RestrictedChecks.RunAsUser),
        new("seccompProfile_restricted", RestrictedChecks.SeccompProfile, Overrides: "seccompProfile_baseline"),
    ];

    private static readonly Check[] Baseline = [.. BaselineChecksById.OrderBy(c => c.Id, StringComparer.Ordinal)];

    private static readonly Check[] Restricted =
    [
        .. BaselineChecksById.Where(b => !RestrictedOnly.Any(r => r.Overrides == b.Id)).OrderBy(c => c.Id, StringComparer.Ordinal),
        .. RestrictedOnly.OrderBy(c => c.Id, StringComparer.Ordinal),
    ];

    public static AggregateCheckResult Evaluate(PodSecurityLevel level, PodView pod)
    {
        Check[] checks = level switch
        {
            PodSecurityLevel.Privileged => [],
            PodSecurityLevel.Baseline => Baseline,
            _ => Restricted,
        };
        return new AggregateCheckResult([.. checks.Select(c => c.Run(pod)).OfType<CheckResult>()]);
    }
}
