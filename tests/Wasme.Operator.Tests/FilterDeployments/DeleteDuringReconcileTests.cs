using Wasme.Istio.Translation;
using Wasme.Operator.Images;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: a FilterDeployment is deleted while its reconcile is still under way (here: held in the image resolution).
/// What that reconcile goes on to write must not outlive the FilterDeployment, and the delete must not hang.
/// </summary>
public sealed class DeleteDuringReconcileTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public DeleteDuringReconcileTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task A_FilterDeployment_deleted_mid_reconcile_leaves_nothing_behind()
    {
        var image = await _registry.PushAsync("midway/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        var gate = new HeldResolver(new OciImageResolver(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System));
        harness.StartOperator(images: gate);
        harness.Apply(Manifests.FilterDeployment("f", image.Reference));
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "filterdeployment", "f", "-n", OperatorHarness.Namespace, "--wait=false");
        Assert.True(code == 0, output);
        await harness.EventuallyAsync(() => harness.FilterDeployment("f")?["metadata"]?["deletionTimestamp"] is not null, "the delete is recorded");
        gate.Release.SetResult();

        await harness.EventuallyAsync(() => harness.FilterDeployment("f") is null, "the FilterDeployment goes");
        await harness.Server.SettleGarbageCollectionAsync();
        Assert.Empty(await harness.EnvoyFiltersAsync());
    }

    private sealed class HeldResolver(IImageResolver inner) : IImageResolver
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<ImageFacts> ResolveAsync(ImageRequest request, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return await inner.ResolveAsync(request, cancellationToken);
        }
    }
}
