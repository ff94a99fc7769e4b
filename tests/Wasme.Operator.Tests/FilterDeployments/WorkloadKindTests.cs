using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// FilterDeployments select DaemonSets and StatefulSets as they select Deployments (the original operator forgot
/// StatefulSets): each gets its EnvoyFilter and, for HostPath, the sidecar volume annotations on its pod template.
/// </summary>
public sealed class WorkloadKindTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Theory]
    [InlineData("DaemonSet", "Remote")]
    [InlineData("DaemonSet", "HostPath")]
    [InlineData("StatefulSet", "Remote")]
    [InlineData("StatefulSet", "HostPath")]
    public async Task A_workload_of_each_kind_gets_its_filter(string kind, string delivery)
    {
        var image = await registry.PushAsync($"kinds/{kind.ToLowerInvariant()}-{delivery.ToLowerInvariant()}:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("node-agent", "agent", kind: kind));
        harness.StartOperator();

        harness.Apply(Manifests.FilterDeployment("f", image.Reference, app: "agent", kind: kind, delivery: delivery));

        await harness.EventuallyAsync(() => harness.IsReady("f"), $"the {delivery} FilterDeployment on a {kind} is Ready");
        Assert.NotNull(harness.EnvoyFilter($"node-agent-f.{OperatorHarness.Namespace}"));
        var annotations = harness.Get("apps/v1", kind, "node-agent")!["spec"]!["template"]!["metadata"]!["annotations"];
        Assert.Equal(delivery == "HostPath", annotations?["sidecar.istio.io/userVolume"] is not null);
    }
}
