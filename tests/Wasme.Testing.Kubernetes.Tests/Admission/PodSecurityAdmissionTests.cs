using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Admission;

/// <summary>
/// Pod Security admission as kubectl users meet it: refusals worded as kube-apiserver's PodSecurity plugin words them,
/// and the "Warning:" lines kubectl prints for workloads and namespace label changes.
/// </summary>
public sealed class PodSecurityAdmissionTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Namespace(string name, string labels) => $$"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {{name}}
          labels: { {{labels}} }
        """;

    // A pod spec that is fine for baseline except for its hostPath volume, and breaks restricted in several ways.
    private const string CachePodSpec = """
        containers:
        - name: cache
          image: example.com/cache:1
          volumeMounts: [{name: cache, mountPath: /cache}]
        volumes:
        - name: cache
          hostPath: {path: /var/local/lib/cache, type: DirectoryOrCreate}
        """;

    private static string Indent(string yaml, int spaces) =>
        string.Join('\n', yaml.Split('\n').Select(line => new string(' ', spaces) + line));

    private static string Pod(string ns, string name, string spec) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: {{ns}}
        spec:
        {{Indent(spec, 2)}}
        """;

    private static string Deployment(string ns) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: cache
          namespace: {{ns}}
        spec:
          selector:
            matchLabels: {app: cache}
          template:
            metadata:
              labels: {app: cache}
            spec:
        {{Indent(CachePodSpec, 6)}}
        """;

    private async Task<KubectlResult> ApplyAsync(string file, string yaml) =>
        await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest(file, yaml));

    [Fact]
    public async Task Pod_BreakingTheEnforcedLevel_IsRefusedWithThePluginsMessage()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps", "pod-security.kubernetes.io/enforce: baseline")));

        var result = await ApplyAsync("pod.yaml", Pod("apps", "cache", CachePodSpec));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            "Error from server (Forbidden): error when creating \"" + Path.Combine(_kubectl.WorkDirectory, "pod.yaml") + "\": "
            + "pods \"cache\" is forbidden: violates PodSecurity \"baseline:latest\": hostPath volumes (volume \"cache\")",
            result.Stderr);
        Assert.Null(_server.Get("v1", "Pod", "apps", "cache"));

        // The same pod in a namespace without labels: privileged, as a cluster without an admission configuration has it.
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("open.yaml", Namespace("open", "")));
        var open = await ApplyAsync("open-pod.yaml", Pod("open", "cache", CachePodSpec));
        Assert.True(open.ExitCode == 0, open.Stderr);
        Assert.DoesNotContain("Warning:", open.Stderr);
    }

    [Fact]
    public async Task Deployment_BreakingTheEnforcedLevel_IsAcceptedWithTheWarningKubectlPrints()
    {
        // No warn label: warn follows the explicit, stricter enforce level.
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps", "pod-security.kubernetes.io/enforce: baseline")));

        var result = await ApplyAsync("deploy.yaml", Deployment("apps"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("deployment.apps/cache created", result.Stdout);
        Assert.Contains("Warning: would violate PodSecurity \"baseline:latest\": hostPath volumes (volume \"cache\")", result.Stderr);
        Assert.NotNull(_server.Get("apps/v1", "Deployment", "apps", "cache"));
    }

    [Fact]
    public async Task Workloads_BreakingTheWarnLevel_GetEveryRestrictedViolationInOneWarning()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps",
            "pod-security.kubernetes.io/enforce: privileged, pod-security.kubernetes.io/warn: restricted, pod-security.kubernetes.io/warn-version: v1.30")));

        var result = await ApplyAsync("deploy.yaml", Deployment("apps"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains(
            "Warning: would violate PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false (container \"cache\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"cache\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "restricted volume types (volume \"cache\" uses restricted volume type \"hostPath\"), "
            + "runAsNonRoot != true (pod or container \"cache\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"cache\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            result.Stderr);
    }

    [Fact]
    public async Task Pod_BreakingOnlyTheWarnLevel_IsCreatedWithAWarning()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps",
            "pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: restricted")));
        const string rootPod = """
            securityContext: {runAsUser: 0, runAsNonRoot: false, seccompProfile: {type: RuntimeDefault}}
            containers:
            - name: app
              image: example.com/app:1
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [CHOWN]}}
            """;

        var result = await ApplyAsync("pod.yaml", Pod("apps", "root", rootPod));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("pod/root created", result.Stdout);
        Assert.Contains(
            "Warning: would violate PodSecurity \"restricted:latest\": unrestricted capabilities (container \"app\" must not include \"CHOWN\" in securityContext.capabilities.add), "
            + "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)",
            result.Stderr);
    }

    [Fact]
    public async Task Pod_BreakingBaseline_NamesEveryBaselineViolationInCheckOrder()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps", "pod-security.kubernetes.io/enforce: baseline")));
        const string hostile = """
            hostNetwork: true
            hostPID: true
            securityContext: {sysctls: [{name: kernel.msgmax, value: "65536"}], seccompProfile: {type: Unconfined}}
            containers:
            - name: app
              image: example.com/app:1
              ports: [{containerPort: 80, hostPort: 80}]
              securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN, NET_RAW]}, procMount: Unmasked, seLinuxOptions: {type: spc_t, user: root}}
            """;

        var result = await ApplyAsync("pod.yaml", Pod("apps", "hostile", hostile));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            "pods \"hostile\" is forbidden: violates PodSecurity \"baseline:latest\": "
            + "non-default capabilities (container \"app\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add), "
            + "host namespaces (hostNetwork=true, hostPID=true), hostPort (container \"app\" uses hostPort 80), "
            + "privileged (container \"app\" must not set securityContext.privileged=true), "
            + "procMount (container \"app\" must not set securityContext.procMount to \"Unmasked\"), "
            + "seLinuxOptions (container \"app\" set forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set), "
            + "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\"), "
            + "forbidden sysctls (kernel.msgmax)",
            result.Stderr);
    }

    [Fact]
    public async Task Namespace_WithAnUnknownLevel_IsInvalid()
    {
        var result = await ApplyAsync("ns.yaml", Namespace("apps", "pod-security.kubernetes.io/enforce: strict"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            "The Namespace \"apps\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted",
            result.Stderr);
    }

    [Fact]
    public async Task Namespace_TighteningEnforce_WarnsAboutThePodsAlreadyThere()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", Namespace("apps", "")));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("a.yaml", Pod("apps", "cache-a", CachePodSpec)));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("b.yaml", Pod("apps", "cache-b", CachePodSpec)));

        var result = await ApplyAsync("ns.yaml", Namespace("apps", "pod-security.kubernetes.io/enforce: baseline"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("Warning: existing pods in namespace \"apps\" violate the new PodSecurity enforce level \"baseline:latest\"", result.Stderr);
        Assert.Contains("Warning: cache-a (and 1 other pod): hostPath volumes", result.Stderr);
        // The pods stay: PodSecurity never evicts, it only refuses new ones.
        Assert.NotNull(_server.Get("v1", "Pod", "apps", "cache-b"));
    }
}
