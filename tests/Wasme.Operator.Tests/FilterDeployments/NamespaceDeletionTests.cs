using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// Day 2: a namespace with a served FilterDeployment is deleted. Its finalizer runs and the namespace goes. The writes the
/// terminating namespace refuses meanwhile (an EnvoyFilter the namespace controller removed first, the last Event) used to
/// be logged as unexpected failures, each with a stack trace.
/// </summary>
public sealed class NamespaceDeletionTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public NamespaceDeletionTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Deleting_the_namespace_runs_the_finalizer_and_the_namespace_goes()
    {
        var image = await _registry.PushAsync("nsdelete/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("f", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("f") && !harness.IsReconciling("f"), "the FilterDeployment is served");
        Assert.NotNull(harness.EnvoyFilter("details-v1-f.bookinfo"));

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "namespace", OperatorHarness.Namespace, "--wait=false");
        Assert.True(code == 0, output);

        await harness.EventuallyAsync(() => harness.Server.Get("v1", "Namespace", null, OperatorHarness.Namespace) is null, "the namespace is gone");
        Assert.Null(harness.EnvoyFilter("details-v1-f.bookinfo"));
        // Writes the terminating namespace refuses are expected, not failures worth a warning and a stack trace.
        var warnings = harness.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }

    [Fact]
    public async Task A_namespace_deleted_then_created_again_with_the_same_name_is_served_afresh()
    {
        var image = await _registry.PushAsync("nsrecreate/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.StartOperator();
        harness.Apply(Manifests.FilterDeployment("f", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("f") && !harness.IsReconciling("f"), "the FilterDeployment is served");
        var oldUid = (string?)harness.FilterDeployment("f")!["metadata"]!["uid"];

        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "namespace", OperatorHarness.Namespace, "--wait=true");
        Assert.True(code == 0, output);

        // The same names again, as a GitOps tool re-creates them: new uids, nothing of the old ones may be taken for them.
        harness.Apply(new System.Text.Json.Nodes.JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = OperatorHarness.Namespace } });
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.FilterDeployment("f", image.Reference, config: "again"));
        await harness.EventuallyAsync(
            () => harness.IsReady("f") && (string?)harness.FilterDeployment("f")!["metadata"]!["uid"] != oldUid && harness.EnvoyFilter("details-v1-f.bookinfo") is not null,
            "the new FilterDeployment is served");
        var filter = harness.EnvoyFilter("details-v1-f.bookinfo")!;
        Assert.Equal((string?)harness.FilterDeployment("f")!["metadata"]!["uid"], (string?)filter["metadata"]!["ownerReferences"]![0]!["uid"]);
        Assert.Contains("again", filter["spec"]!.ToJsonString(), StringComparison.Ordinal);
        var warnings = harness.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }
}
