using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: <c>kubectl delete filterdeployment --cascade=…</c>. Foreground and background leave nothing behind. Orphan is
/// not here: whether the garbage collector releases the objects before the finalizer looks is not ordered (docs/operator.md).
/// </summary>
public sealed class CascadeDeletionTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const string Filter = "details-v1-f.bookinfo";

    [Theory]
    [InlineData("foreground")]
    [InlineData("background")]
    public async Task Deleting_with_kubectl_cascade_leaves_nothing_behind(string cascade)
    {
        await using var harness = await ServedAsync($"cascade/{cascade}:v1");

        await DeleteAsync(harness, cascade);

        Assert.Null(harness.EnvoyFilter(Filter));
    }

    private async Task<OperatorHarness> ServedAsync(string repository)
    {
        var image = await registry.PushAsync(repository);
        var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        await harness.KubectlApplyAsync(Manifests.FilterDeployment("f", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("f"), "f is Ready");
        return harness;
    }

    private static async Task DeleteAsync(OperatorHarness harness, string cascade)
    {
        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "filterdeployment", "f", "-n", OperatorHarness.Namespace, $"--cascade={cascade}", "--timeout=30s");
        Assert.True(code == 0, output);
        await harness.EventuallyAsync(() => harness.FilterDeployment("f") is null, "f is gone");
        await harness.Server.SettleGarbageCollectionAsync();
    }
}
