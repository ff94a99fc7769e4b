using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

/// <summary>
/// What apiextensions-apiserver refuses when an installed CRD changes (an upgrade of the install): names and scope
/// that storage depends on, and versions that objects may still be stored in.
/// </summary>
public sealed class CrdUpdateTests : IAsyncLifetime
{
    private const string Name = "widgets.example.com";
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_CrdWithANewDefaultAndAFieldRemoved_StoredObjectsReadWithTheNewSchema()
    {
        // apiextensions-apiserver prunes and defaults what it decodes from storage, so an upgraded CRD's defaults show on
        // objects written before it, without a write, and an update compares against that view (no generation bump).
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 1, tags: {team: a}}\n"));
        var writtenVersion = await _kubectl.SucceedAsync("get", "widget", "w", "-o", "jsonpath={.metadata.resourceVersion}");
        var upgraded = Manifests.WidgetCrd
            .Replace("tags: {type: object, additionalProperties: {type: string}}", "shape: {type: string, default: round}", StringComparison.Ordinal);
        Assert.NotEqual(Manifests.WidgetCrd, upgraded);

        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd2.yaml", upgraded));
        var read = await _kubectl.SucceedAsync("get", "widget", "w", "-o", "jsonpath={.spec} {.metadata.resourceVersion}");
        await _kubectl.SucceedAsync("label", "widget", "w", "team=a");
        var generation = await _kubectl.SucceedAsync("get", "widget", "w", "-o", "jsonpath={.metadata.generation} {.spec}");

        Assert.Equal($$"""{"color":"red","shape":"round","size":1} {{writtenVersion}}""", read);
        Assert.Equal("""1 {"color":"red","shape":"round","size":1}""", generation);
    }

    [Theory]
    [InlineData("scope: Namespaced", "scope: Cluster", "spec.scope: Invalid value: \"Cluster\": field is immutable")]
    [InlineData("kind: Widget,", "kind: Gadget,", "spec.names.kind: Invalid value: \"Gadget\": field is immutable")]
    public async Task Apply_EstablishedCrdWithOtherStorageNames_IsRefused(string before, string after, string error)
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("crd2.yaml", Manifests.WidgetCrd.Replace(before, after, StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"The CustomResourceDefinition \"{Name}\" is invalid: {error}", result.Stderr);
        Assert.Equal("Namespaced", (string?)Crd()["spec"]!["scope"]);
        Assert.Equal("Widget", (string?)Crd()["spec"]!["names"]!["kind"]);
    }

    [Fact]
    public async Task Patch_Plural_IsRefusedAsImmutable()
    {
        var result = await _kubectl.RunAsync("patch", "crd", Name, "--type=json", "-p", """[{"op":"replace","path":"/spec/names/plural","value":"gizmos"}]""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"The CustomResourceDefinition \"{Name}\" is invalid: spec.names.plural: Invalid value: \"gizmos\": field is immutable", result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_RenamedVersion_IsRefusedWhileObjectsMayBeStoredInTheOldOne()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("crd2.yaml", Manifests.WidgetCrd.Replace("- name: v1", "- name: v2", StringComparison.Ordinal)));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"The CustomResourceDefinition \"{Name}\" is invalid: status.storedVersions[0]: Invalid value: \"v1\": must appear in spec.versions", result.Stderr.Trim());
        Assert.Equal("v1", (string?)Crd()["spec"]!["versions"]![0]!["name"]);
    }

    [Fact]
    public async Task Apply_NewStorageVersion_IsAddedToStoredVersions()
    {
        var v2 = Manifests.WidgetCrd.Replace("  - name: v1\n    served: true\n    storage: true\n", "  - name: v2\n    served: true\n    storage: true\n", StringComparison.Ordinal);
        var both = Manifests.WidgetCrd.Replace("    storage: true\n", "    storage: false\n", StringComparison.Ordinal)
            + "\n" + string.Join('\n', v2.Split('\n').SkipWhile(l => !l.StartsWith("  - name: v2", StringComparison.Ordinal)));

        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd2.yaml", both));

        Assert.Equal("""["v1","v2"]""", Crd()["status"]!["storedVersions"]!.ToJsonString());
        var dropped = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("crd3.yaml", v2));
        Assert.Contains("status.storedVersions[0]: Invalid value: \"v1\": must appear in spec.versions", dropped.Stderr);
    }

    private System.Text.Json.Nodes.JsonObject Crd() => _server.Get("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, Name)!;
}
