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

    [Fact]
    public async Task Watches_expired_with_nothing_changed_are_relisted_without_a_single_write()
    {
        // client-go's relist after 410 Gone only reports what differs from its store; an informer that reported every
        // listed object as new would send each FilterDeployment through a reconcile and any drift in them to the API server.
        var image = await _registry.PushAsync("gone/quiet:v1");
        await using var harness = await OperatorHarness.StartAsync();
        string[] names = [.. Enumerable.Range(0, 10).Select(i => $"f{i}")];
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            harness.Apply(Manifests.Workload($"app{i}-v1", $"app{i}"));
            harness.Apply(Manifests.FilterDeployment(name, image.Reference, app: $"app{i}"));
        }

        harness.StartOperator();
        await harness.EventuallyAsync(() => names.All(n => harness.IsReady(n) && !harness.IsReconciling(n)), "every FilterDeployment is Ready");
        harness.Server.Requests.Clear();

        harness.Server.Compact();
        harness.Server.Faults.DropWatches();

        // The owned objects' watch resumes from before the compaction and answers 410; a workload watch cut off mid-stream
        // fails; a watch whose last resourceVersion is still the newest resumes (as against kube-apiserver). The first two list.
        string[] kinds = ["/envoyfilters", "/deployments"];
        await harness.EventuallyAsync(
            () => kinds.All(kind => harness.Server.Requests.Snapshot()
                .Any(r => r.Method == "GET" && r.Path.EndsWith(kind, StringComparison.Ordinal) && !r.Query.Contains("watch=true", StringComparison.Ordinal))),
            "the informers whose watch expired or failed listed again");
        // A watch request is logged only when it ends, so a later change proves the new watches deliver: by the time it
        // is served, whatever the relists reported has been queued before it.
        harness.Apply(Manifests.Workload("probe-v1", "probe"));
        harness.Apply(Manifests.FilterDeployment("probe", image.Reference, app: "probe"));
        await harness.EventuallyAsync(() => harness.IsReady("probe") && !names.Append("probe").Any(harness.IsReconciling), "the watches deliver again and nothing is left to reconcile");

        // The probe's own: its finalizer, its EnvoyFilter's create (a POST names no object), its status; Events aside.
        Assert.Equal(
            ["PATCH /apis/wasme.io/v1/namespaces/bookinfo/filterdeployments/probe", "POST /apis/networking.istio.io/v1alpha3/namespaces/bookinfo/envoyfilters", "PUT /apis/wasme.io/v1/namespaces/bookinfo/filterdeployments/probe/status"],
            harness.Writes().Where(w => !w.Path.EndsWith("/events", StringComparison.Ordinal)).Select(w => $"{w.Method} {w.Path}"));
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
