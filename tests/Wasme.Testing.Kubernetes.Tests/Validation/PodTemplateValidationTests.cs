using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Validation;

/// <summary>
/// Pod specs of Pods and workload templates as kube-apiserver 1.32 judges them (ValidatePodSpec,
/// ValidatePodTemplateSpecForReplicaSet), with its field paths and wording, through kubectl and in process.
/// </summary>
public sealed class PodTemplateValidationTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_DeploymentWithBadContainers_IsRefusedWithEveryReason()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  containers:
                  - name: Web
                    ports:
                    - {name: metrics-endpoint-http, containerPort: 0}
                    - {name: http, containerPort: 70000, protocol: HTTP}
                  - name: web
                    image: example.com/web:1
                  - name: web
                    image: example.com/web:1
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Deployment \"web\" is invalid: ",
                "* spec.template.spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "* spec.template.spec.containers[0].image: Required value",
                "* spec.template.spec.containers[0].ports[0].name: Invalid value: \"metrics-endpoint-http\": must be no more than 15 characters",
                "* spec.template.spec.containers[0].ports[0].containerPort: Required value",
                "* spec.template.spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "* spec.template.spec.containers[0].ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "* spec.template.spec.containers[2].name: Duplicate value: \"web\"",
            ],
            result.Stderr.Trim().Split('\n'));
        Assert.Null(_server.Get("apps/v1", "Deployment", "default", "web"));
    }

    [Fact]
    public async Task Apply_MountOfAMissingVolume_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  containers:
                  - name: web
                    image: example.com/web:1
                    volumeMounts:
                    - {name: cache, mountPath: /cache}
                    - {name: tmp, mountPath: /cache}
                  volumes:
                  - name: tmp
                    emptyDir: {}
                    hostPath: {path: /tmp}
                  - name: Data
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Deployment \"web\" is invalid: ",
                "* spec.template.spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type",
                "* spec.template.spec.volumes[1]: Required value: must specify a volume type",
                "* spec.template.spec.volumes[1].name: Invalid value: \"Data\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "* spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"cache\"",
                "* spec.template.spec.containers[0].volumeMounts[1].name: Not found: \"tmp\"",
                "* spec.template.spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/cache\": must be unique",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Apply_RequestOverLimit_IsRefusedWithCanonicalQuantities()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  containers:
                  - name: web
                    image: example.com/web:1
                    resources:
                      requests: {memory: 1024Mi}
                      limits: {memory: 256Mi}
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Deployment \"web\" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: \"1Gi\": must be less than or equal to memory limit of 256Mi",
            result.Stderr.Trim());
    }

    [Theory]
    [InlineData("64MM", "unable to parse quantity's suffix")]
    [InlineData("64MB", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    public async Task Apply_QuantityThatDoesNotParse_FailsTheDecode(string memory, string error)
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment($$"""
                  containers:
                  - name: web
                    image: example.com/web:1
                    resources:
                      limits: {memory: {{memory}} }
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Deployment in version \"v1\" cannot be handled as a Deployment: {error}", result.Stderr);
    }

    [Fact]
    public async Task Apply_ProbesWithoutOrWithTwoHandlers_AreRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  containers:
                  - name: web
                    image: example.com/web:1
                    livenessProbe: {periodSeconds: -1, successThreshold: 2}
                    readinessProbe:
                      httpGet: {path: /readyz, port: http-endpoint-port}
                      tcpSocket: {port: 8080}
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Deployment \"web\" is invalid: ",
                "* spec.template.spec.containers[0].livenessProbe: Required value: must specify a handler type",
                "* spec.template.spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "* spec.template.spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                "* spec.template.spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"http-endpoint-port\": must be no more than 15 characters",
                "* spec.template.spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Apply_DeploymentThatRestartsOnFailure_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  restartPolicy: OnFailure
                  dnsPolicy: ClusterFirstWithHostnet
                  containers:
                  - name: web
                    image: example.com/web:1
            """)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Deployment \"web\" is invalid: ",
                "* spec.template.spec.dnsPolicy: Unsupported value: \"ClusterFirstWithHostnet\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                "* spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Patch_ThatRemovesTheImage_IsRefusedAndLeavesTheDeployment()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("d.yaml", Deployment("""
                  containers:
                  - name: web
                    image: example.com/web:1
            """)));

        var result = await _kubectl.RunAsync("patch", "deployment", "web", "--type=json", "-p", "[{\"op\": \"remove\", \"path\": \"/spec/template/spec/containers/0/image\"}]");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("spec.template.spec.containers[0].image: Required value", result.Stderr);
        Assert.Equal("example.com/web:1", (string?)_server.Get("apps/v1", "Deployment", "default", "web")!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
    }

    [Fact]
    public void Pod_EnvAndTolerations_AreJudgedAsKubeApiserverJudgesThem()
    {
        var error = Assert.Throws<ApiException>(() => _server.ApplyYaml("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default}
            spec:
              tolerations:
              - {effect: NoSchedule}
              containers:
              - name: web
                image: example.com/web:1
                env:
                - {name: "A=B", value: x}
                - name: NODE
                  value: x
                  valueFrom: {fieldRef: {fieldPath: spec.nodename}}
            """));

        Assert.Equal(422, error.Code);
        Assert.Equal(
            [
                "spec.containers[0].env[0].name",
                "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath",
                "spec.containers[0].env[1].valueFrom",
                "spec.tolerations[0].operator",
            ],
            Causes(error).Select(c => (string)c["field"]!));
        Assert.Contains("spec.tolerations[0].operator: Invalid value: \"\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"", error.Message);
        Assert.Contains("spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.nodename\": error converting fieldPath: field label not supported: spec.nodename", error.Message);
        Assert.Contains("spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty", error.Message);
    }

    [Fact]
    public void DaemonSet_RollingUpdateThatNeverMoves_IsRefused()
    {
        var error = Assert.Throws<ApiException>(() => _server.ApplyYaml("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: cache, namespace: default}
            spec:
              selector: {matchLabels: {app: cache}}
              updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}
              template:
                metadata: {labels: {app: cache}}
                spec:
                  containers: [{name: cache, image: example.com/cache:1}]
            """));

        Assert.Contains(
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            error.Message);
    }

    private static IEnumerable<JsonNode> Causes(ApiException error) => error.Details!["causes"]!.AsArray().Select(c => c!);

    private static string Deployment(string podSpec) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          selector: {matchLabels: {app: web} }
          template:
            metadata: {labels: {app: web} }
            spec:
        {{podSpec}}
        """;
}
