using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>
/// A misspelt field in a built-in kind, as kubectl meets it: kube-apiserver decodes the object into its Go type, so
/// under kubectl's default (Strict) the field is refused, under <c>--validate=warn</c> it is a warning, and it is never
/// stored.
/// </summary>
public sealed class KubectlBuiltInFieldTests : IAsyncLifetime
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicaz: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx
                imagePullPolicyy: Always
        """;

    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_MisspeltFields_AreRefusedNamingEach()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("web.yaml", Deployment));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replicaz\", unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"",
            result.Stderr,
            StringComparison.Ordinal);
        Assert.Null(_server.Get("apps/v1", "Deployment", "default", "web"));
    }

    [Fact]
    public async Task Apply_WithValidateWarn_WarnsAndDropsTheFields()
    {
        var result = await _kubectl.RunAsync("apply", "--validate=warn", "-f", _kubectl.WriteManifest("web.yaml", Deployment));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Warning: unknown field \"spec.replicaz\"", result.Stderr, StringComparison.Ordinal);
        var stored = _server.Get("apps/v1", "Deployment", "default", "web")!;
        Assert.Null(stored["spec"]!["replicaz"]);
        Assert.Null(stored["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicyy"]);
        Assert.Equal("nginx", stored["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apply_DeclaredFieldsOfNestedTypes_AreAccepted()
    {
        // Maps of strings, lists of objects, quantities and int-or-string values are not mistaken for unknown fields.
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("ok.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ok
              annotations: {note: x}
            spec:
              replicas: 1
              strategy:
                rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}
              selector:
                matchLabels: {app: ok}
              template:
                metadata:
                  labels: {app: ok}
                spec:
                  containers:
                  - name: ok
                    image: nginx
                    resources:
                      limits: {cpu: 500m, memory: 64Mi}
                    ports:
                    - containerPort: 80
            """));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("unknown field", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replicas: two", "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")]
    [InlineData("env: [{name: PORT, value: 8080}]", "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string")]
    [InlineData("ports: {containerPort: 80}", "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal object into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort")]
    public async Task Apply_ValueOfTheWrongType_IsRefusedAsTheGoDecoderWordsIt(string field, string expected)
    {
        // Whatever --validate says: the object cannot be decoded at all.
        var inSpec = field.StartsWith("replicas", StringComparison.Ordinal);
        string[] lines =
        [
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata:",
            "  name: typed",
            "spec:",
            .. inSpec ? new[] { "  " + field } : [],
            "  selector:",
            "    matchLabels: {app: typed}",
            "  template:",
            "    metadata:",
            "      labels: {app: typed}",
            "    spec:",
            "      containers:",
            "      - name: typed",
            "        image: nginx",
            .. inSpec ? [] : new[] { "        " + field },
        ];
        var yaml = string.Join('\n', lines) + "\n";

        var result = await _kubectl.RunAsync("apply", "--validate=false", "-f", _kubectl.WriteManifest("typed.yaml", yaml));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Null(_server.Get("apps/v1", "Deployment", "default", "typed"));
    }

    [Fact]
    public async Task Apply_ConfigMapValueThatIsNotAString_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              nested: {a: b}
            """));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ConfigMap.data of type string", result.Stderr, StringComparison.Ordinal);
    }
}
