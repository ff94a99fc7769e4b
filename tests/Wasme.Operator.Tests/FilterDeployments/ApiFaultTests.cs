using k8s;
using System.Text.Json.Nodes;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// The operator against an API server that misbehaves as real ones do: watches closed and expired (410 Gone) while
/// objects change, lists and writes answered with 5xx, status writes refused. Once the faults stop, every
/// FilterDeployment converges: its objects and its status.
/// </summary>
public sealed class ApiFaultTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public ApiFaultTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Watches_closed_and_expired_while_objects_change_are_relisted_and_every_change_is_seen()
    {
        var image = await _registry.PushAsync("gone/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("a", image.Reference));
        harness.Apply(Manifests.FilterDeployment("b", image.Reference, app: "reviews"));
        await harness.EventuallyAsync(() => harness.IsReady("a") && harness.IsReady("b") && !harness.IsReconciling("a") && !harness.IsReconciling("b"), "a and b are Ready");

        // History forgotten and every stream closed: each informer's resume answers 410 Expired.
        harness.Server.Compact();
        harness.Server.Faults.DropWatches();
        await harness.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("networking.istio.io", "v1alpha3", OperatorHarness.Namespace, "envoyfilters", "details-v1-a.bookinfo");
        harness.Apply(Manifests.FilterDeployment("b", image.Reference, app: "reviews", config: "changed"));
        harness.Apply(Manifests.Workload("details-v2", "details", "v2"));

        await harness.EventuallyAsync(
            () => harness.EnvoyFilter("details-v1-a.bookinfo") is not null
                && harness.EnvoyFilter("details-v2-a.bookinfo") is not null
                && (string?)harness.Condition("b", "Ready")?["observedGeneration"]?.ToString() == "2"
                && harness.IsReady("b"),
            "the deleted EnvoyFilter is back, the new workload served and b's change applied");
        Assert.Contains("changed", harness.EnvoyFilter("reviews-v1-b.bookinfo")!.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task An_API_server_refusing_every_call_for_a_while_converges_once_it_answers_again(int status)
    {
        var image = await _registry.PushAsync($"outage{status}/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        harness.Apply(Manifests.FilterDeployment("a", image.Reference));
        if (status == 429)
        {
            // As API Priority and Fairness refuses: plain text and Retry-After, not a Status.
            harness.Server.Faults.Throttle("^/apis?/");
        }
        else
        {
            harness.Server.Faults.FailPath("^/apis?/", status);
        }

        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("b", image.Reference, app: "reviews"));
        await harness.EventuallyAsync(() => harness.Server.Requests.Snapshot().Count(r => r.StatusCode == status) >= 20, "the operator met the outage");
        harness.Server.Faults.Reset();

        await harness.EventuallyAsync(() => harness.IsReady("a") && harness.IsReady("b"), "a and b are Ready", TimeSpan.FromSeconds(60));
        Assert.NotNull(harness.EnvoyFilter("details-v1-a.bookinfo"));
        Assert.NotNull(harness.EnvoyFilter("reviews-v1-b.bookinfo"));
    }

    [Fact]
    public async Task Status_writes_refused_with_500_and_409_still_end_with_the_right_status()
    {
        var image = await _registry.PushAsync("status/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Server.Faults.FailPath("/status$", 500, method: "PUT", times: 4);
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("a", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("a"), "a is Ready");
        harness.Server.Faults.FailPath("/status$", 409, method: "PUT", times: 4);
        harness.Apply(Manifests.FilterDeployment("a", image.Reference, config: new JsonObject { ["x"] = "y" }));
        await harness.EventuallyAsync(() => (string?)harness.Condition("a", "Ready")?["observedGeneration"]?.ToString() == "2" && harness.IsReady("a"), "a is Ready at generation 2");
    }
}
