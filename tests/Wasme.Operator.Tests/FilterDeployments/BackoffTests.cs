using Microsoft.Extensions.Time.Testing;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>How often a FilterDeployment that always fails is tried, on a fake clock: the operator's own time only.</summary>
public sealed class BackoffTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public BackoffTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task A_FilterDeployment_that_always_fails_backs_off_to_five_minutes_and_does_not_hold_up_another()
    {
        var image = await _registry.PushAsync("backoff/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        using var reconciles = new ReconcileCounter(harness.Metrics);
        var time = new FakeTimeProvider();
        // No resync nor image refresh within the hour: every reconcile counted is a retry of the broken one.
        harness.StartOperator(
            new FilterDeploymentOperatorOptions
            {
                ResyncPeriod = TimeSpan.FromHours(10),
                Reconciler = new FilterDeploymentReconcilerOptions { ImageRefreshInterval = TimeSpan.FromHours(10) },
            },
            time: time);
        harness.Apply(Manifests.FilterDeployment("broken", $"{_registry.Host}/backoff/never-pushed:v1"));
        await harness.EventuallyAsync(() => (string?)harness.Condition("broken", "Ready")?["reason"] == "ImageNotFound" && !harness.IsReconciling("broken"), "broken says ImageNotFound");

        harness.Apply(Manifests.FilterDeployment("good", image.Reference, app: "reviews"));
        await harness.EventuallyAsync(() => harness.IsReady("good") && !harness.IsReconciling("good"), "the good one is served without the clock moving");

        harness.Server.Requests.Clear();
        var retries = new List<TimeSpan>();
        var start = time.GetUtcNow();
        for (var second = 0; second < 3600; second++)
        {
            var before = reconciles.Count;
            var failed = harness.Failures("broken");
            time.Advance(TimeSpan.FromSeconds(1));
            // The queue lets go of the key just before the controller counts the reconcile: wait for the count too,
            // else a retry counted late is put on a later second (or on none).
            await harness.EventuallyAsync(
                () => !harness.IsReconciling("broken") && reconciles.Count - before >= harness.Failures("broken") - failed, "the retry is done and counted");
            if (reconciles.Count > before)
            {
                retries.Add(time.GetUtcNow() - start);
            }
        }

        // 5 ms doubling: the first retries fall within the first seconds, then 5 min apart once the cap is reached.
        var gaps = retries.Zip(retries.Skip(1), (a, b) => b - a).ToList();
        Assert.InRange(retries.Count, 20, 30);
        Assert.Equal(gaps.Order(), gaps);
        Assert.Equal(TimeSpan.FromMinutes(5), gaps[^1]);
        Assert.Equal("ImageNotFound", (string?)harness.Condition("broken", "Ready")?["reason"]);
        // The status and the Event said it once; the retries write nothing more.
        Assert.Empty(harness.Writes().Select(w => $"{w.Method} {w.Path}"));
        Assert.True(harness.IsReady("good"));
    }
}
