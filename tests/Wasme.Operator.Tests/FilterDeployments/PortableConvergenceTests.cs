using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Images;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.FilterDeployments;

/// <summary>
/// One scenario written against <see cref="IKubernetes"/> only, so it runs on the API test server always and on a real
/// cluster when <c>WASME_E2E_KUBECONFIG</c> names a kubeconfig (docs/operator.md, "Real-cluster variant").
/// </summary>
public sealed class PortableConvergenceTests : IClassFixture<RegistryFixture>
{
    public const string KubeconfigVariable = "WASME_E2E_KUBECONFIG";
    private readonly RegistryFixture _registry;

    public PortableConvergenceTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Apply_late_workload_change_and_delete_converge_on_the_API_test_server()
    {
        await using var harness = await OperatorHarness.StartAsync();
        using var client = harness.Server.CreateClient();
        await RunScenarioAsync(client, OperatorHarness.Namespace, createNamespace: false);
    }

    [RealClusterFact]
    public async Task Apply_late_workload_change_and_delete_converge_on_a_real_cluster()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Environment.GetEnvironmentVariable(KubeconfigVariable));
        using var client = new k8s.Kubernetes(config);
        var ns = $"wasme-e2e-{Guid.NewGuid():N}"[..20];
        try
        {
            await RunScenarioAsync(client, ns, createNamespace: true);
        }
        finally
        {
            await client.CoreV1.DeleteNamespaceAsync(ns);
        }
    }

    private async Task RunScenarioAsync(IKubernetes client, string ns, bool createNamespace)
    {
        var image = await _registry.PushAsync("portable/filter:v1");
        if (createNamespace)
        {
            await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = ns } });
        }

        await CreateWorkloadAsync(client, ns, "details-v1", "v1");
        using var metrics = new OperatorMetrics();
        using var op = new FilterDeploymentOperator(
            client,
            new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System),
            new FilterDeploymentOperatorOptions { Namespace = ns },
            metrics,
            NullLoggerFactory.Instance,
            TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => op.RunAsync(stop.Token));
        try
        {
            var fd = Manifests.FilterDeployment("portable", image.Reference);
            fd["metadata"]!["namespace"] = ns;
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(fd, "wasme.io", "v1", ns, "filterdeployments");
            await OperatorHarness.EventuallyAsync(async () => IsReady(await GetAsync(client, "wasme.io", "v1", ns, "filterdeployments", "portable")), "the FilterDeployment is Ready");
            Assert.NotNull(await GetAsync(client, "networking.istio.io", "v1alpha3", ns, "envoyfilters", $"details-v1-portable.{ns}"));

            await CreateWorkloadAsync(client, ns, "details-v2", "v2");
            await OperatorHarness.EventuallyAsync(async () => await GetAsync(client, "networking.istio.io", "v1alpha3", ns, "envoyfilters", $"details-v2-portable.{ns}") is not null, "the late workload has its EnvoyFilter");

            // A merge patch, as kubectl edit would send: the operator writes status concurrently.
            var change = new k8s.Models.V1Patch("""{"spec":{"filter":{"config":"changed"}}}""", k8s.Models.V1Patch.PatchType.MergePatch);
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(change, "wasme.io", "v1", ns, "filterdeployments", "portable");
            await OperatorHarness.EventuallyAsync(
                async () => (await GetAsync(client, "networking.istio.io", "v1alpha3", ns, "envoyfilters", $"details-v1-portable.{ns}"))?.ToJsonString().Contains("\"changed\"", StringComparison.Ordinal) == true,
                "the EnvoyFilter carries the new config");

            await client.CustomObjects.DeleteNamespacedCustomObjectAsync("wasme.io", "v1", ns, "filterdeployments", "portable");
            await OperatorHarness.EventuallyAsync(async () => await GetAsync(client, "wasme.io", "v1", ns, "filterdeployments", "portable") is null, "the finalizer ran and the FilterDeployment is gone");
            var left = await client.CustomObjects.ListNamespacedCustomObjectAsync("networking.istio.io", "v1alpha3", ns, "envoyfilters");
            Assert.Empty(JsonNode.Parse(KubernetesJson.Serialize(left))!["items"]!.AsArray());
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // How a stopped operator ends.
            }
        }
    }

    // replicas 0: on a real cluster nothing needs to be scheduled or pulled for the operator to do its work.
    private static async Task CreateWorkloadAsync(IKubernetes client, string ns, string name, string version)
    {
        var manifest = Manifests.Workload(name, "details", version);
        manifest["metadata"]!["namespace"] = ns;
        manifest["spec"]!["replicas"] = 0;
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesJson.Deserialize<k8s.Models.V1Deployment>(manifest.ToJsonString()), ns);
    }

    private static bool IsReady(JsonObject? fd) =>
        fd?["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true;

    private static async Task<JsonObject?> GetAsync(IKubernetes client, string group, string version, string ns, string plural, string name)
    {
        try
        {
            var body = await client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, plural, name);
            return JsonNode.Parse(KubernetesJson.Serialize(body))!.AsObject();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>A fact that runs only when <c>WASME_E2E_KUBECONFIG</c> names a kubeconfig, and says how to enable it otherwise.</summary>
public sealed class RealClusterFactAttribute : FactAttribute
{
    public RealClusterFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PortableConvergenceTests.KubeconfigVariable)))
        {
            Skip = $"no real cluster: set {PortableConvergenceTests.KubeconfigVariable} to a kubeconfig whose cluster has Istio's CRDs and deploy/crds installed";
        }
    }
}
