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

    [Fact]
    public async Task A_FilterDeployment_that_yields_one_workload_to_an_older_one_says_per_workload_what_it_serves_and_what_it_yields()
    {
        // b selects two workloads; a, older with the same id, selects one of them. b serves the other: its status must say
        // so (workloads, appliedImage: what the caches keep serving), not only NameConflict.
        var image = await _registry.PushAsync("conflict/partial:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("details-v2", "details", version: "v2"));
        harness.StartOperator(QuickRetries);
        var a = WithId(Manifests.FilterDeployment("a", image.Reference, config: "from a"), "shared");
        a["spec"]!["deployment"]!["istio"]!["labels"]!["version"] = "v1";
        harness.Apply(a);
        await harness.EventuallyAsync(() => harness.IsReady("a"), "a is Ready");

        harness.Apply(WithId(Manifests.FilterDeployment("b", image.Reference, config: "from b"), "shared"));

        await harness.EventuallyAsync(
            () => (string?)harness.Condition("b", "Ready")?["reason"] == "NameConflict" && harness.FilterDeployment("b")?["status"]?["workloads"] is not null,
            "b says NameConflict and lists its workloads");
        Assert.Equal("b", OwnerOf(harness.EnvoyFilter("details-v2-shared")!));
        Assert.Equal("a", OwnerOf(harness.EnvoyFilter("details-v1-shared")!));
        var status = harness.FilterDeployment("b")!["status"]!;
        Assert.Equal("Succeeded", (string?)status["workloads"]!["details-v2"]!["state"]);
        Assert.Equal("Failed", (string?)status["workloads"]!["details-v1"]!["state"]);
        Assert.Contains("belongs to FilterDeployment a", (string?)status["workloads"]!["details-v1"]!["reason"], StringComparison.Ordinal);
        Assert.Equal((string?)status["resolvedImage"], (string?)status["appliedImage"]);
        Assert.Equal((string?)status["moduleSha256"], (string?)status["appliedModuleSha256"]);

        // Deleting the newer one leaves the older one's object and Ready alone.
        await harness.DeleteFilterDeploymentAsync("b");
        await harness.EventuallyAsync(() => harness.FilterDeployment("b") is null, "b's finalizer ran and b is gone");
        Assert.Null(harness.EnvoyFilter("details-v2-shared"));
        Assert.Equal("a", OwnerOf(harness.EnvoyFilter("details-v1-shared")!));
        Assert.True(harness.IsReady("a"), "a stays Ready");
    }

    private static JsonObject WithId(JsonObject filterDeployment, string id)
    {
        filterDeployment["spec"]!["filter"]!["id"] = id;
        return filterDeployment;
    }

    private static string? OwnerOf(JsonObject resource) => (string?)resource["metadata"]?["ownerReferences"]?[0]?["name"];
}
