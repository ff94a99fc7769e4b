using System.Text.Json.Nodes;

namespace Wasme.Operator.Tests.Support;

/// <summary>
/// What happens on the nodes, which the test server has no controllers for: a node's cache reporting the modules it
/// holds (the CacheNodeRecord of docs/cache.md, "Readiness per node", as the cache writes it), and the workload controller
/// plus the scheduler placing a pod made from the workload's current pod template on a node.
/// </summary>
internal static class NodeSide
{
    public const string CacheNamespace = "wasme";

    public static void CreateCacheNamespace(OperatorHarness harness) =>
        harness.Server.ApplyYaml($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {CacheNamespace}\n");

    /// <summary>The record a running cache writes for <paramref name="node"/>; no call for a node whose cache is stopped.</summary>
    public static void ReportHeld(OperatorHarness harness, string node, params string[] modules) => harness.Apply(new JsonObject
    {
        ["apiVersion"] = "wasme.io/v1",
        ["kind"] = "CacheNodeRecord",
        ["metadata"] = new JsonObject { ["name"] = node, ["namespace"] = CacheNamespace },
        ["spec"] = new JsonObject { ["modules"] = new JsonArray([.. modules.Order(StringComparer.Ordinal).Select(m => (JsonNode)JsonValue.Create(m))]) },
    });

    /// <summary>A pod of <paramref name="workload"/> from its pod template as it is now, bound to <paramref name="node"/>.</summary>
    public static void RunPod(OperatorHarness harness, string workload, string pod, string node, string kind = "Deployment")
    {
        var template = harness.Get("apps/v1", kind, workload)!["spec"]!["template"]!.DeepClone().AsObject();
        var metadata = template["metadata"]!.AsObject();
        metadata["name"] = pod;
        metadata["namespace"] = OperatorHarness.Namespace;
        var spec = template["spec"]!.AsObject();
        spec["nodeName"] = node;
        harness.Apply(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata.DeepClone(), ["spec"] = spec.DeepClone() });
    }

    public static async Task DeletePodAsync(OperatorHarness harness, string pod)
    {
        var (code, output) = await Kubectl.RunAsync(harness.Server.KubeconfigPath, null, "delete", "pod", pod, "-n", OperatorHarness.Namespace, "--wait=false");
        Assert.True(code == 0, output);
    }
}
