using k8s;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>
/// What kube-apiserver adds to every Namespace: the kubernetes.io/metadata.name label (which namespace selectors of
/// NetworkPolicies and webhooks rely on, and which no write can change) and the kubernetes finalizer; and no
/// metadata.generation.
/// </summary>
public sealed class KubectlNamespaceTests : IAsyncLifetime
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
    public async Task Apply_Namespace_GetsItsNameLabelAndTheKubernetesFinalizer()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"));

        var ns = JsonNode.Parse(await _kubectl.SucceedAsync("get", "namespace", "team", "-o", "json"))!;

        Assert.Equal("team", (string?)ns["metadata"]!["labels"]!["kubernetes.io/metadata.name"]);
        Assert.Equal("""["kubernetes"]""", ns["spec"]!["finalizers"]!.ToJsonString());
        Assert.Null(ns["metadata"]!["generation"]);
    }

    [Fact]
    public async Task Label_NameLabel_CannotBeChangedNorRemoved()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"));

        await _kubectl.SucceedAsync("label", "namespace", "team", "kubernetes.io/metadata.name=other", "--overwrite");
        var changed = await _kubectl.SucceedAsync("get", "namespace", "team", "-o", "jsonpath={.metadata.labels.kubernetes\\.io/metadata\\.name}");
        await _kubectl.SucceedAsync("label", "namespace", "team", "kubernetes.io/metadata.name-");
        var removed = await _kubectl.SucceedAsync("get", "namespace", "team", "-o", "jsonpath={.metadata.labels.kubernetes\\.io/metadata\\.name}");

        Assert.Equal(("team", "team"), (changed, removed));
    }

    [Fact]
    public async Task Create_InTerminatingNamespace_IsForbiddenNamingTheObject()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"));
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("held.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: team, finalizers: [example.com/hold]}\n"));
        await _kubectl.SucceedAsync("delete", "namespace", "team", "--wait=false");

        var result = await _kubectl.RunAsync("create", "-f", _kubectl.WriteManifest("late.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: team}\n"));
        using var client = _server.CreateClient();
        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(
            new k8s.Models.V1ConfigMap { Metadata = new k8s.Models.V1ObjectMeta { Name = "later" } }, "team"));

        Assert.Equal(1, result.ExitCode);
        Assert.EndsWith(": configmaps \"late\" is forbidden: unable to create new content in namespace team because it is being terminated", result.Stderr.Trim(), StringComparison.Ordinal);
        var cause = JsonNode.Parse(refused.Response.Content)!["details"]!["causes"]![0]!;
        Assert.Equal(("NamespaceTerminating", "namespace team is being terminated", "metadata.namespace"), ((string?)cause["reason"], (string?)cause["message"], (string?)cause["field"]));
    }

    [Fact]
    public async Task GetByNameLabel_SelectsTheInitialNamespaces()
    {
        var selected = await _kubectl.SucceedAsync("get", "namespaces", "-l", "kubernetes.io/metadata.name in (default,kube-system)", "-o", "name");

        Assert.Equal(["namespace/default", "namespace/kube-system"], selected.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
