using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Admission.PodSecurity;

namespace Wasme.Testing.Kubernetes.Tests.Admission;

/// <summary>
/// The checks kubectl tests do not reach, against the cases and wording of k8s.io/pod-security-admission's own
/// policy tests (check_*_test.go): what a user reads in the refusal must be what a real cluster would print.
/// </summary>
public sealed class PodSecurityChecksTests
{
    private const string Compliant = """
        {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
         "containers": [{"name": "a", "image": "x", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
         "volumes": [{"name": "c", "configMap": {"name": "c"}}, {"name": "t", "emptyDir": {}}, {"name": "p", "projected": {"sources": []}}]}
        """;

    private static AggregateCheckResult Evaluate(PodSecurityLevel level, string spec, string? metadata = null) =>
        PodSecurityEvaluator.Evaluate(level, new PodView(metadata is null ? null : (JsonObject)JsonNode.Parse(metadata)!, (JsonObject)JsonNode.Parse(spec)!));

    [Fact]
    public void Restricted_CompliantPod_IsAllowed()
    {
        Assert.True(Evaluate(PodSecurityLevel.Restricted, Compliant).Allowed);
    }

    [Fact]
    public void Baseline_AppArmorAnnotations_ListsEachForbiddenOneQuoted()
    {
        const string metadata = """
            {"annotations": {
              "container.apparmor.security.beta.kubernetes.io/": "bogus", "container.apparmor.security.beta.kubernetes.io/a": "",
              "container.apparmor.security.beta.kubernetes.io/b": "runtime/default", "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
              "container.apparmor.security.beta.kubernetes.io/d": "localhost/foo", "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
              "container.apparmor.security.beta.kubernetes.io/f": "unknown"}}
            """;

        var result = Evaluate(PodSecurityLevel.Baseline, """{"containers": []}""", metadata);

        Assert.Equal(
            "forbidden AppArmor profiles (annotations must not set AppArmor profile type to "
            + "\"container.apparmor.security.beta.kubernetes.io/=\"bogus\"\", \"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", "
            + "\"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\")",
            result.ForbiddenDetail);
    }

    [Fact]
    public void Baseline_AppArmorProfileField_NamesPodAndContainers()
    {
        var result = Evaluate(PodSecurityLevel.Baseline, """
            {"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
             "containers": [{"name": "foo", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}, {"name": "ok", "securityContext": {"appArmorProfile": {"type": "Localhost"}}}]}
            """);

        Assert.Equal("forbidden AppArmor profile (pod and container \"foo\" must not set AppArmor profile type to \"Unconfined\")", result.ForbiddenDetail);
    }

    [Fact]
    public void Baseline_ProbeHosts_AreSortedAndDeduplicated()
    {
        var result = Evaluate(PodSecurityLevel.Baseline, """
            {"containers": [{"name": "a",
              "livenessProbe": {"httpGet": {"host": "127.0.0.1", "port": 80}}, "readinessProbe": {"tcpSocket": {"host": "::1", "port": 80}},
              "startupProbe": {"httpGet": {"host": "localhost", "port": 80}}, "lifecycle": {"preStop": {"httpGet": {"host": "localhost", "port": 80}}}}]}
            """);

        Assert.Equal("probe or lifecycle host (container \"a\" uses probe or lifecycle hosts \"127.0.0.1\", \"::1\", \"localhost\")", result.ForbiddenDetail);
    }

    [Fact]
    public void Baseline_WindowsHostProcess_NamesPodAndContainers()
    {
        var result = Evaluate(PodSecurityLevel.Baseline, """
            {"securityContext": {"windowsOptions": {"hostProcess": true}},
             "containers": [{"name": "d"}, {"name": "e", "securityContext": {"windowsOptions": {"hostProcess": true}}}, {"name": "f", "securityContext": {"windowsOptions": {"hostProcess": true}}}]}
            """);

        Assert.Equal("hostProcess (pod and containers \"e\", \"f\" must not set securityContext.windowsOptions.hostProcess=true)", result.ForbiddenDetail);
    }

    [Fact]
    public void Restricted_VolumeTypes_NameEveryVolumeAndSortedTypes()
    {
        var result = Evaluate(PodSecurityLevel.Restricted, Compliant.Replace(
            "{\"name\": \"c\", \"configMap\": {\"name\": \"c\"}}",
            "{\"name\": \"a\", \"nfs\": {\"server\": \"s\", \"path\": \"/\"}}, {\"name\": \"b\", \"hostPath\": {\"path\": \"/x\"}}, {\"name\": \"u\"}",
            StringComparison.Ordinal));

        Assert.Equal("restricted volume types (volumes \"a\", \"b\", \"u\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\")", result.ForbiddenDetail);
    }

    [Fact]
    public void UserNamespacePod_RelaxesRunAsChecksAndBaselineProcMount_ButNotRestrictedProcMount()
    {
        var spec = Compliant
            .Replace("\"runAsNonRoot\": true", "\"runAsNonRoot\": false, \"runAsUser\": 0", StringComparison.Ordinal)
            .Replace("\"allowPrivilegeEscalation\": false", "\"allowPrivilegeEscalation\": false, \"procMount\": \"Unmasked\"", StringComparison.Ordinal)
            .Replace("{\"securityContext\"", "{\"hostUsers\": false, \"securityContext\"", StringComparison.Ordinal);

        Assert.True(Evaluate(PodSecurityLevel.Baseline, spec).Allowed);
        Assert.Equal("procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")", Evaluate(PodSecurityLevel.Restricted, spec).ForbiddenDetail);
    }

    [Fact]
    public void WindowsPod_SkipsLinuxOnlyRestrictedChecks()
    {
        var result = Evaluate(PodSecurityLevel.Restricted, """{"os": {"name": "windows"}, "containers": [{"name": "a"}]}""");

        Assert.Equal("runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)", result.ForbiddenDetail);
    }
}
