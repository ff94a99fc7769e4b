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
}
