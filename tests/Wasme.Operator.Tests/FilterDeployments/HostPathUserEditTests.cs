using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>Issue #14 point 7: removing a HostPath filter takes out wasme's volume only, not what the user added meanwhile.</summary>
public sealed class HostPathUserEditTests : IClassFixture<RegistryFixture>
{
    private const string Volume = "sidecar.istio.io/userVolume";
    private const string Mount = "sidecar.istio.io/userVolumeMount";
    private readonly RegistryFixture _registry;

    public HostPathUserEditTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Deleting_the_FilterDeployment_keeps_a_volume_the_user_added_while_it_was_active()
    {
        var image = await _registry.PushAsync("useredit/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"));
        await harness.EventuallyAsync(() => harness.IsReady("f") && PodAnnotations(harness).ContainsKey(Volume), "f is Ready with the cache volume");

        // The user adds a volume and its mount next to wasme's, as `kubectl edit` would.
        var annotations = PodAnnotations(harness);
        var volumes = JsonNode.Parse((string)annotations[Volume]!)!.AsArray();
        volumes.Add(JsonNode.Parse("""{"name":"extra","emptyDir":{}}"""));
        var mounts = JsonNode.Parse((string)annotations[Mount]!)!.AsArray();
        mounts.Add(JsonNode.Parse("""{"name":"extra","mountPath":"/extra"}"""));
        var edit = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Volume] = volumes.ToJsonString(), [Mount] = mounts.ToJsonString() } },
                },
            },
        };
        await harness.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(edit.ToJsonString(), V1Patch.PatchType.MergePatch), "details-v1", OperatorHarness.Namespace);

        await harness.DeleteFilterDeploymentAsync("f");

        await harness.EventuallyAsync(() => harness.FilterDeployment("f") is null, "f is gone");
        var after = PodAnnotations(harness);
        Assert.Equal("""[{"name":"extra","emptyDir":{}}]""", (string?)after[Volume]);
        Assert.Equal("""[{"name":"extra","mountPath":"/extra"}]""", (string?)after[Mount]);
        Assert.DoesNotContain(after, a => a.Key.StartsWith("wasme", StringComparison.Ordinal));
    }

    private static JsonObject PodAnnotations(OperatorHarness harness) =>
        harness.Get("apps/v1", "Deployment", "details-v1")!["spec"]!["template"]!["metadata"]!["annotations"]?.AsObject() ?? [];
}
