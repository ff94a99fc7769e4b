using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Selectors;

/// <summary>
/// kube-apiserver filters by a field only where the kind declares it can: custom resources by name, namespace
/// and their CRD's selectableFields, built-in kinds by their own short lists. A selector on any other field is
/// a 400, so a client that filters on spec fields works here only if it works on a cluster.
/// </summary>
public sealed class FieldSelectorSupportTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Get_CustomResourcesBySpecField_IsRefused()
    {
        var result = await _kubectl.RunAsync("get", "widgets", "--field-selector", "spec.size=1");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Error from server (BadRequest): Unable to find \"example.com/v1, Resource=widgets\" that match label selector \"\", field selector \"spec.size=1\": field label not supported: spec.size",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Watch_CustomResourcesBySpecField_Is400BeforeAnyEvent()
    {
        using var client = _server.CreateClient();

        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync("example.com", "v1", "default", "widgets", fieldSelector: "spec.size=1", watch: true));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Contains("field label not supported: spec.size", refused.Response.Content);
    }

    [Fact]
    public async Task Get_CustomResourcesByName_Selects()
    {
        Assert.Equal("widget.example.com/gizmo", (await _kubectl.SucceedAsync("get", "widgets", "--field-selector", "metadata.name=gizmo", "-o", "name")).Trim());
    }

    [Fact]
    public async Task Get_CustomResourcesByASelectableField_Selects()
    {
        var crd = Manifests.WidgetCrd.Replace("    subresources: {status: {}}\n", "    subresources: {status: {}}\n    selectableFields:\n    - jsonPath: .spec.color\n", StringComparison.Ordinal);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd2.yaml", crd));

        Assert.Equal("widget.example.com/gizmo", (await _kubectl.SucceedAsync("get", "widgets", "--field-selector", "spec.color=red", "-o", "name")).Trim());
    }

    [Fact]
    public async Task Get_ConfigMapsByData_IsRefusedWithTheDefaultMessage()
    {
        var result = await _kubectl.RunAsync("get", "configmaps", "--field-selector", "data.a=1");

        Assert.Equal(1, result.ExitCode);
        Assert.EndsWith(": \"data.a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", result.Stderr.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pods", "spec.nodeName=node-1", true)]
    [InlineData("pods", "status.phase=Running", true)]
    [InlineData("pods", "spec.containers=x", false)]
    [InlineData("events", "involvedObject.name=gizmo,reason=Applied", true)]
    [InlineData("events", "message=x", false)]
    [InlineData("secrets", "type=kubernetes.io/dockerconfigjson", true)]
    [InlineData("namespaces", "status.phase=Active", true)]
    [InlineData("nodes", "metadata.namespace=x", false)]
    public async Task Get_BuiltInKindsBySupportedFieldsOnly(string resource, string selector, bool supported)
    {
        var result = await _kubectl.RunAsync("get", resource, "--field-selector", selector);

        Assert.Equal(supported ? 0 : 1, result.ExitCode);
        if (!supported)
        {
            Assert.Contains($": field label not supported: {selector.Split('=')[0]}", result.Stderr);
        }
    }
}
