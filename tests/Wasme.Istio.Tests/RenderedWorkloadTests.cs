using Wasme.Istio.Rendering;

namespace Wasme.Istio.Tests;

/// <summary>Issue 14.11: a render stored in Git must apply later, so a workload read from the live cluster loses what the server wrote.</summary>
public sealed class RenderedWorkloadTests
{
    [Fact]
    public void A_workload_from_kubectl_get_is_rendered_without_server_written_fields()
    {
        var golden = GoldenCase.Load("hostpath-workloads-from-kubectl-get");

        var rendered = ManifestRenderer.Render(golden.Translate(), golden.Workloads);

        var workload = Assert.Single(rendered, d => (string?)d["kind"] == "Deployment")!.AsObject();
        var metadata = workload["metadata"]!.AsObject();
        foreach (var field in new[] { "resourceVersion", "uid", "managedFields", "creationTimestamp", "generation" })
        {
            Assert.False(metadata.ContainsKey(field), $"metadata.{field} was copied into the render");
        }

        Assert.False(workload.ContainsKey("status"));
        var annotations = metadata["annotations"]!.AsObject();
        Assert.False(annotations.ContainsKey("kubectl.kubernetes.io/last-applied-configuration"));
        Assert.Equal("reviews", (string?)annotations["team"]);
        Assert.Equal(1L, (long?)workload["spec"]!["replicas"]);
        Assert.NotNull(workload["spec"]!["template"]!["metadata"]!["annotations"]!["sidecar.istio.io/userVolume"]);
        Assert.NotNull(golden.Workloads[0].Manifest["metadata"]!["resourceVersion"]);
    }
}
