using System.Net.Http.Headers;

namespace Wasme.E2E.Tests;

/// <summary>
/// Issue 14.1 and 14.2: the seed's imperative flow, <c>wasme deploy istio … --id myfilter --config tomorrow</c>, ends with a
/// filter that loads (the operator wrote the EnvoyFilter, the cache holds the module), and <c>wasme undeploy istio</c>
/// leaves the namespace as it was. Also for an image pushed with <c>--format compat</c>.
/// </summary>
public sealed class ImperativeDeployEndToEndTests(ClusterEnvironment cluster) : IClassFixture<ClusterEnvironment>
{
    private const string Kinds = "envoyfilters.networking.istio.io,wasmplugins.extensions.istio.io,filterdeployments.wasme.io,deployments";

    [Theory]
    [InlineData("wasme")]
    [InlineData("compat")]
    public async Task Seed_deploy_istio_runs_the_filter_and_undeploy_leaves_the_cluster_as_it_was(string format)
    {
        var ns = $"e2e-imperative-{format}";
        var image = cluster.Image;
        if (format == "compat")
        {
            image = $"{cluster.Registry.Host}/e2e/add-header-compat:v1";
            await cluster.RunWasmeAsync("tag", cluster.Image, image);
            await cluster.RunWasmeAsync("push", image, "--format", "compat");
        }

        var manifests = cluster.Scratch($"{ns}.yaml");
        await File.WriteAllTextAsync(manifests, $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {{ns}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: details-v1
              namespace: {{ns}}
              labels:
                app: details
            spec:
              selector:
                matchLabels:
                  app: details
              template:
                metadata:
                  labels:
                    app: details
                    version: v1
                  annotations:
                    prometheus.io/scrape: "true"
                spec:
                  containers:
                  - name: details
                    image: docker.io/istio/examples-bookinfo-details-v1:1.16.2
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: productpage-v1
              namespace: {{ns}}
              labels:
                app: productpage
            spec:
              selector:
                matchLabels:
                  app: productpage
              template:
                metadata:
                  labels:
                    app: productpage
                    version: v1
                spec:
                  containers:
                  - name: productpage
                    image: docker.io/istio/examples-bookinfo-productpage-v1:1.16.2
            """);
        await cluster.KubectlAsync("apply", "-f", manifests);
        var before = await SnapshotAsync(ns);

        var deployed = await WasmeProcess.RunAsync(cluster.Environment,
            "deploy", "istio", image, "--id", "myfilter", "--namespace", ns, "--config", "tomorrow", "--labels", "app=details", "--wait", "90s");

        Assert.True(deployed.ExitCode == 0, $"{deployed.Output}\n--- operator ---\n{cluster.Operator.Output}\n--- cache ---\n{cluster.Cache.Output}");
        Assert.Contains("the module is cached on every node", deployed.Output, StringComparison.Ordinal);
        var names = (await cluster.KubectlAsync("get", "envoyfilters", "-n", ns, "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("envoyfilter.networking.istio.io/details-v1-myfilter", Assert.Single(names));
        // Day 2: `kubectl get -o yaml --show-managed-fields` tells who wrote what: the CLI the FilterDeployment's spec,
        // the operator its finalizer and status, and the EnvoyFilter.
        Assert.Equal("wasme wasme-operator", await ManagersAsync("filterdeployment", "myfilter", ns));
        Assert.Equal("wasme-operator", await ManagersAsync("envoyfilter", "details-v1-myfilter", ns));
        var resourceFile = cluster.Scratch($"{ns}-envoyfilter.yaml");
        await File.WriteAllTextAsync(resourceFile, await cluster.KubectlAsync("get", "envoyfilter", "details-v1-myfilter", "-n", ns, "-o", "yaml"));

        // The proxy reads exactly what the operator wrote and fetches the code from the cache, as a sidecar would.
        await using (var proxy = cluster.Track(WasmeProcess.Start("wasme run", cluster.Environment,
            "run", "--envoy-filter", resourceFile, "--echo-upstream", "--listen", "127.0.0.1:0")))
        {
            var listen = await proxy.WaitForBoundAsync(WasmeProcess.RunListening, TimeSpan.FromSeconds(60));
            using var http = new HttpClient();
            using var response = await http.GetAsync(new Uri($"http://{listen}/details/1"));
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}\n{proxy.Output}");
            Assert.True(response.Headers.TryGetValues("hello", out var values), $"no hello header in {Describe(response.Headers)}\n{proxy.Output}");
            Assert.Equal("tomorrow", Assert.Single(values));
        }

        var undeployed = await WasmeProcess.RunAsync(cluster.Environment, "undeploy", "istio", "--id", "myfilter", "--namespace", ns, "--wait", "90s");

        Assert.True(undeployed.ExitCode == 0, $"{undeployed.Output}\n--- operator ---\n{cluster.Operator.Output}");
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    private async Task<string> ManagersAsync(string kind, string name, string ns) =>
        string.Join(' ', (await cluster.KubectlAsync("get", kind, name, "-n", ns, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().Order(StringComparer.Ordinal));

    // Every object of the kinds deploy could touch, by name, with the workloads' pod-template annotations.
    private async Task<string> SnapshotAsync(string ns) =>
        await cluster.KubectlAsync("get", Kinds, "-n", ns, "-o",
            "custom-columns=KIND:.kind,NAME:.metadata.name,ANNOTATIONS:.spec.template.metadata.annotations", "--sort-by=.metadata.name");

    private static string Describe(HttpResponseHeaders headers) =>
        string.Join(", ", headers.Select(h => $"{h.Key}: {string.Join('|', h.Value)}"));
}
