using k8s;
using k8s.Models;
using System.Text.Json.Nodes;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>Editing spec.filter.id of a HostPath FilterDeployment: the old id's hold on the pod template goes with its objects.</summary>
public sealed class FilterIdEditTests : IClassFixture<RegistryFixture>
{
    private const string Filters = "wasme.io/hostpath-filters";
    private readonly RegistryFixture _registry;

    public FilterIdEditTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task A_new_filter_id_takes_the_old_one_off_the_pod_template_and_delete_leaves_nothing_behind()
    {
        var image = await _registry.PushAsync("idedit/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(WithId(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"), "old"));
        await harness.EventuallyAsync(() => harness.IsReady("f") && (string?)PodAnnotations(harness)[Filters] == "old", "f is Ready as id old");

        await EditIdAsync(harness, "new");

        await harness.EventuallyAsync(
            () => harness.IsReady("f") && (long?)harness.Condition("f", "Ready")?["observedGeneration"] == 2 && harness.EnvoyFilter("details-v1-old") is null,
            "f is Ready as id new");
        Assert.NotNull(harness.EnvoyFilter("details-v1-new"));
        // A stale "old" entry would keep the cache volume mounted after the FilterDeployment is gone.
        Assert.Equal("new", (string?)PodAnnotations(harness)[Filters]);

        await harness.DeleteFilterDeploymentAsync("f");

        await harness.EventuallyAsync(() => harness.FilterDeployment("f") is null, "f is gone");
        Assert.Empty(PodAnnotations(harness));
    }

    [Fact]
    public async Task Deleted_right_after_an_id_edit_the_old_id_is_taken_off_too()
    {
        var image = await _registry.PushAsync("idedit/deleted:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(WithId(Manifests.FilterDeployment("f", image.Reference, delivery: "HostPath"), "old"));
        await harness.EventuallyAsync(() => harness.IsReady("f") && (string?)PodAnnotations(harness)[Filters] == "old", "f is Ready as id old");

        // The edit and the delete land while the operator is down (a restart, a rollout): it never applies the new id.
        await harness.KillOperatorAsync();
        await EditIdAsync(harness, "new");
        await harness.DeleteFilterDeploymentAsync("f");
        harness.StartOperator();

        await harness.EventuallyAsync(() => harness.FilterDeployment("f") is null, "f is gone");
        Assert.Null(harness.EnvoyFilter("details-v1-old"));
        Assert.Empty(PodAnnotations(harness));
    }

    // As `kubectl edit` sends it: a patch, which keeps the finalizer.
    private static async Task EditIdAsync(OperatorHarness harness, string id) =>
        await harness.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["filter"] = new JsonObject { ["id"] = id } } }.ToJsonString(), V1Patch.PatchType.MergePatch),
            "wasme.io", "v1", OperatorHarness.Namespace, "filterdeployments", "f");

    private static JsonObject WithId(JsonObject filterDeployment, string id)
    {
        filterDeployment["spec"]!["filter"]!["id"] = id;
        return filterDeployment;
    }

    private static JsonObject PodAnnotations(OperatorHarness harness) =>
        harness.Get("apps/v1", "Deployment", "details-v1")!["spec"]!["template"]!["metadata"]!["annotations"]?.AsObject() ?? [];
}
