using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: FilterDeployments that are not Ready, and stay so, are reconciled again and again (resync, image refresh,
/// a rival's requeue). Their status and Event say why once; the passes after that write nothing.
/// </summary>
public sealed class QuietStatesTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public QuietStatesTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Lasting_not_ready_states_are_reported_once_and_then_write_nothing()
    {
        var image = await _registry.PushAsync("quiet/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        using var reconciles = new ReconcileCounter(harness.Metrics);
        harness.StartOperator(new FilterDeploymentOperatorOptions
        {
            ResyncPeriod = TimeSpan.FromMilliseconds(300),
            Reconciler = new FilterDeploymentReconcilerOptions { ImageRefreshInterval = TimeSpan.FromMilliseconds(200) },
        });

        harness.Apply(Manifests.FilterDeployment("nomatch", image.Reference, app: "nothing-has-this"));
        harness.Apply(Manifests.FilterDeployment("older", image.Reference));
        var rival = Manifests.FilterDeployment("younger", image.Reference);
        rival["spec"]!["filter"]!["id"] = "older.bookinfo";
        await harness.EventuallyAsync(() => harness.IsReady("older"), "the older one is served");
        harness.Apply(rival);
        string[] names = ["nomatch", "younger", "older"];
        await harness.EventuallyAsync(
            () => harness.Condition("nomatch", "Ready")?["reason"]?.GetValue<string>() == "NoMatchingWorkloads"
                && harness.Condition("younger", "Ready")?["reason"]?.GetValue<string>() == "NameConflict"
                && harness.IsReady("older")
                && !names.Any(harness.IsReconciling),
            "each says why it is not ready");
        harness.Server.Requests.Clear();
        var start = reconciles.Count;

        await harness.EventuallyAsync(() => reconciles.Count >= start + 20, "several resync rounds");

        Assert.Empty(harness.Writes().Select(w => $"{w.Method} {w.Path}"));
    }
}
