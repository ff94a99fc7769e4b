using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary><c>kubectl explain</c> on a custom resource reads the CRD's schema from the server's OpenAPI v3, as on a real cluster.</summary>
public sealed class KubectlExplainTests : IAsyncLifetime
{
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        _server.ApplyYaml(Manifests.WidgetCrd);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Explain_Field_ShowsItsTypeAndEnumFromTheCrd()
    {
        var output = await _kubectl.SucceedAsync("explain", "widgets.spec.color");

        Assert.Contains("KIND:       Widget", output);
        Assert.Contains("FIELD: color <string>", output);
        Assert.Matches(@"ENUM:\s+red\s+blue", output);
    }

    [Fact]
    public async Task Explain_Recursive_ListsEveryField()
    {
        var output = await _kubectl.SucceedAsync("explain", "wd", "--recursive");

        Assert.Matches(@"spec\t<Object>", output);
        Assert.Matches(@"size\t<integer> -required-", output);
        Assert.Matches(@"tags\t<map\[string\]string>", output);
        Assert.Matches(@"conditions\t<\[\]Object>", output);
    }
}
