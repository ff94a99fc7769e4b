using k8s;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>
/// Which kinds carry metadata.generation in kube-apiserver 1.32: those whose strategy sets it (workloads, custom
/// resources, CRDs, ...), not Pods, Services, Nodes or Namespaces.
/// </summary>
public sealed class GenerationTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;

    public async Task InitializeAsync() => _server = await KubernetesTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""", false)]
    [InlineData("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"default"},"spec":{"ports":[{"port":80}]}}""", false)]
    [InlineData("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"}}""", false)]
    [InlineData("""{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc","namespace":"default"},"spec":{"selector":{"a":"b"},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}""", true)]
    public void Create_SetsGenerationOnlyWhereTheKindTracksIt(string json, bool tracked)
    {
        var created = _server.Apply((JsonObject)JsonNode.Parse(json)!);

        Assert.Equal(tracked, created["metadata"]!["generation"] is not null);
    }

    [Fact]
    public async Task ADeploymentsAnnotations_BumpItsGeneration_ItsLabelsDoNot()
    {
        // apps/v1's Deployment strategy: annotations are copied to ReplicaSets, so changing them is a new generation.
        _server.ApplyYaml(Support.Manifests.Deployment);
        using var client = _server.CreateClient();

        await client.AppsV1.PatchNamespacedDeploymentAsync(new k8s.Models.V1Patch("""{"metadata":{"labels":{"tier":"web"}}}""", k8s.Models.V1Patch.PatchType.MergePatch), "web", "default");
        var labelled = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        await client.AppsV1.PatchNamespacedDeploymentAsync(new k8s.Models.V1Patch("""{"metadata":{"annotations":{"team":"a"}}}""", k8s.Models.V1Patch.PatchType.MergePatch), "web", "default");
        var annotated = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");

        Assert.Equal((1L, 2L), (labelled.Metadata.Generation, annotated.Metadata.Generation));
    }

    [Fact]
    public async Task ACustomResourceWithoutAStatusSubresource_BumpsItsGenerationWhenItsStatusChanges()
    {
        // apiextensions-apiserver bumps on any change outside metadata; only a status subresource keeps status out of it.
        _server.ApplyYaml("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: gadgets.example.com}
            spec:
              group: example.com
              names: {kind: Gadget, plural: gadgets}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
            """);
        _server.ApplyYaml("apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n");
        using var client = _server.CreateClient();

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new k8s.Models.V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", k8s.Models.V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "gadgets", "g");
        var labelled = _server.Get("example.com/v1", "Gadget", "default", "g")!["metadata"]!["generation"]!.GetValue<long>();
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new k8s.Models.V1Patch("""{"status":{"ready":true}}""", k8s.Models.V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "gadgets", "g");
        var statusWritten = _server.Get("example.com/v1", "Gadget", "default", "g")!["metadata"]!["generation"]!.GetValue<long>();

        Assert.Equal((1L, 2L), (labelled, statusWritten));
    }
}
