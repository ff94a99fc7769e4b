using k8s;
using System.Text.Json.Nodes;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Issue #14 point 4: a generated name someone else holds is a condition and a Warning Event naming the holder and the
/// fix, never an overwrite, and clears by itself once the other object is gone.
/// </summary>
public sealed class NameConflictTests : IClassFixture<RegistryFixture>
{
    // Retries of a foreign conflict come quickly, so the test sees the convergence without waiting minutes.
    private static readonly FilterDeploymentOperatorOptions QuickRetries = new() { BackoffMax = TimeSpan.FromMilliseconds(200) };
    private readonly RegistryFixture _registry;

    public NameConflictTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task A_foreign_EnvoyFilter_with_the_generated_name_is_reported_and_left_alone_until_removed()
    {
        var image = await _registry.PushAsync("conflict/foreign:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(new JsonObject
        {
            ["apiVersion"] = "networking.istio.io/v1alpha3",
            ["kind"] = "EnvoyFilter",
            ["metadata"] = new JsonObject { ["name"] = "details-v1-f.bookinfo", ["namespace"] = OperatorHarness.Namespace },
            ["spec"] = new JsonObject { ["workloadSelector"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "someone-else" } } },
        });
        var foreign = harness.EnvoyFilter("details-v1-f.bookinfo")!.ToJsonString();
        harness.StartOperator(QuickRetries);

        harness.Apply(Manifests.FilterDeployment("f", image.Reference));

        await harness.EventuallyAsync(() => (string?)harness.Condition("f", "Ready")?["reason"] == "NameConflict", "f says NameConflict");
        var ready = harness.Condition("f", "Ready")!;
        Assert.Equal("False", (string?)ready["status"]);
        Assert.Equal("NameConflict", (string?)harness.Condition("f", "Applied")!["reason"]);
        var message = (string)ready["message"]!;
        Assert.Contains("EnvoyFilter bookinfo/details-v1-f.bookinfo", message, StringComparison.Ordinal);
        Assert.Contains("spec.filter.id", message, StringComparison.Ordinal);
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("f")).Any(e => (string?)e["type"] == "Warning" && (string?)e["reason"] == "NameConflict" && (string?)e["message"] == message),
            "a Warning Event says the same");
        Assert.Equal(foreign, harness.EnvoyFilter("details-v1-f.bookinfo")!.ToJsonString());

        await harness.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("networking.istio.io", "v1alpha3", OperatorHarness.Namespace, "envoyfilters", "details-v1-f.bookinfo");

        await harness.EventuallyAsync(() => harness.IsReady("f"), "f converges once the foreign EnvoyFilter is gone");
        Assert.Equal("f", OwnerOf(harness.EnvoyFilter("details-v1-f.bookinfo")!));
    }

    [Fact]
    public async Task Of_two_FilterDeployments_with_one_id_on_a_workload_the_older_keeps_the_name_and_the_other_takes_over_when_it_goes()
    {
        var image = await _registry.PushAsync("conflict/twins:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator(QuickRetries);
        harness.Apply(WithId(Manifests.FilterDeployment("a", image.Reference, config: "from a"), "shared"));
        await harness.EventuallyAsync(() => harness.IsReady("a"), "a is Ready");

        harness.Apply(WithId(Manifests.FilterDeployment("b", image.Reference, config: "from b"), "shared"));

        await harness.EventuallyAsync(() => (string?)harness.Condition("b", "Ready")?["reason"] == "NameConflict", "b says NameConflict");
        var message = (string)harness.Condition("b", "Ready")!["message"]!;
        Assert.Contains("FilterDeployment a", message, StringComparison.Ordinal);
        Assert.Contains("spec.filter.id", message, StringComparison.Ordinal);
        Assert.Equal("NameConflict", (string?)harness.Condition("b", "Applied")!["reason"]);
        await OperatorHarness.EventuallyAsync(
            async () => (await harness.EventsAboutAsync("b")).Any(e => (string?)e["type"] == "Warning" && (string?)e["reason"] == "NameConflict"),
            "a Warning Event about b");
        Assert.True(harness.IsReady("a"), "a stays Ready");
        Assert.Equal("a", OwnerOf(harness.EnvoyFilter("details-v1-shared")!));

        await harness.DeleteFilterDeploymentAsync("a");

        await harness.EventuallyAsync(
            () => harness.IsReady("b") && harness.EnvoyFilter("details-v1-shared") is { } filter && OwnerOf(filter) == "b",
            "b takes the name over without a restart");
    }

    private static JsonObject WithId(JsonObject filterDeployment, string id)
    {
        filterDeployment["spec"]!["filter"]!["id"] = id;
        return filterDeployment;
    }

    private static string? OwnerOf(JsonObject resource) => (string?)resource["metadata"]?["ownerReferences"]?[0]?["name"];
}
