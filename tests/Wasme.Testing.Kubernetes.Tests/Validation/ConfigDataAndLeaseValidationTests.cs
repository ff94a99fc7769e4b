using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Validation;

/// <summary>ConfigMaps, Secrets and Leases as kube-apiserver 1.32 judges them (ValidateConfigMap, ValidateSecret, ValidateLeaseSpec).</summary>
public sealed class ConfigDataAndLeaseValidationTests : IAsyncLifetime
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
    public async Task Apply_ConfigMapWithAKeyThatIsNoFileName_IsRefused()
    {
        var manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            data: {"log level": debug, "..data": x}
            binaryData: {"..data": eA==}
            """;

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("cm.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        // kube-apiserver walks the data map in Go's random order: the lines, not their order, are its.
        var lines = result.Stderr.Trim().Split('\n');
        Assert.Equal("The ConfigMap \"settings\" is invalid: ", lines[0]);
        Assert.Equal(
            new[]
            {
                "* binaryData[..data]: Invalid value: \"..data\": duplicate of key present in data",
                "* binaryData[..data]: Invalid value: \"..data\": must not start with '..'",
                "* data[..data]: Invalid value: \"..data\": duplicate of key present in binaryData",
                "* data[..data]: Invalid value: \"..data\": must not start with '..'",
                "* data[log level]: Invalid value: \"log level\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            },
            lines.Skip(1).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ConfigMap_OverOneMebibyte_IsRefused()
    {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\n"
            + $"data: {{a: {new string('a', 600 * 1024)}, b: {new string('b', 500 * 1024)}}}";

        var error = Assert.Throws<ApiException>(() => _server.ApplyYaml(yaml));

        Assert.Equal("ConfigMap \"big\" is invalid: : Too long: may not be more than 1048576 bytes", error.Message);
    }

    [Fact]
    public async Task Apply_ImmutableConfigMapWithNewData_IsForbidden()
    {
        const string manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            immutable: true
            data: {level: info}
            """;
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("cm.yaml", manifest));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("cm2.yaml", manifest.Replace("level: info", "level: debug", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The ConfigMap \"settings\" is invalid: data: Forbidden: field is immutable when `immutable` is set", result.Stderr.Trim());
    }

    [Fact]
    public async Task Replace_SecretWithAnotherType_IsRefused()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: hub, namespace: default}\ndata: {token: eA==}"));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("s2.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: hub, namespace: default}\ntype: kubernetes.io/dockerconfigjson\ndata: {token: eA==}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "The Secret \"hub\" is invalid: ",
                "* data[.dockerconfigjson]: Required value",
                "* type: Invalid value: \"kubernetes.io/dockerconfigjson\": field is immutable",
            ],
            result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Lease_WithoutADuration_IsRefused()
    {
        var error = Assert.Throws<ApiException>(() => _server.ApplyYaml("""
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata: {name: leader, namespace: default}
            spec: {holderIdentity: a, leaseDurationSeconds: 0, leaseTransitions: -1}
            """));

        Assert.Equal(
            "Lease.coordination.k8s.io \"leader\" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]",
            error.Message);
    }
}
