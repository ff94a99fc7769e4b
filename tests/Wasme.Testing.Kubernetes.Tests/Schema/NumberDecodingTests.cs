using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

/// <summary>
/// Numbers in custom resources as kube-apiserver decodes, judges and stores them: an int64 when the text is one, else a
/// float64, which passes an integer field when whole and is written back in Go's shortest form.
/// </summary>
public sealed class NumberDecodingTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", CrdValidationTests.RepositoryFile("deploy", "crds", "filterdeployments.wasme.io.yaml"));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("fd.yaml", """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: default}
            spec:
              filter:
                image: example.com/f:1
                config: {ratio: 1.0, limit: 1e3, share: 0.50, tiny: 0.0000001, count: 7}
              deployment: {istio: {labels: {app: web}}}
            """));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Create_FilterConfigNumbers_AreStoredAsGoWritesThem()
    {
        // The operator passes an object config to the filter as its JSON text: on a real cluster that text has 1, not 1.0.
        var config = _server.Get("wasme.io/v1", "FilterDeployment", "default", "f")!["spec"]!["filter"]!["config"]!;

        Assert.Equal("""{"count":7,"limit":1000,"ratio":1,"share":0.5,"tiny":1e-7}""", config.ToJsonString());
    }

    [Fact]
    public async Task StatusPatch_WholeFloatForAnInt64Field_IsAcceptedAndStoredAsAnInteger()
    {
        var result = await _kubectl.RunAsync("patch", "filterdeployment", "f", "--subresource=status", "--type=merge", "-p", """{"status":{"observedGeneration":1.0}}""");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("1", _server.Get("wasme.io/v1", "FilterDeployment", "default", "f")!["status"]!["observedGeneration"]!.ToJsonString());
    }

    [Fact]
    public async Task StatusPatch_FractionForAnInt64Field_IsRefusedNamingTheFormat()
    {
        var result = await _kubectl.RunAsync("patch", "filterdeployment", "f", "--subresource=status", "--type=merge", "-p", """{"status":{"observedGeneration":1.5}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            """
            The FilterDeployment "f" is invalid: 
            * status.observedGeneration: Invalid value: "float64": status.observedGeneration in body must be of type int64: "float64"
            * <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation
            """,
            result.Stderr.Trim().ReplaceLineEndings("\n"));
    }
}
