using System.Net.Http.Headers;

namespace Wasme.E2E.Tests;

/// <summary>
/// Issue 7's proof: a FilterDeployment applied with kubectl ends with a proxy that runs the filter, for every
/// delivery mode; then a changed config reaches the produced object, and deleting the FilterDeployment removes it.
/// The operator and the cache are the real <c>wasme</c> processes acting as their deploy/ ServiceAccounts; the proxy
/// is <c>wasme run --envoy-filter</c> reading exactly what the operator wrote, fetching the code as a sidecar would.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class FilterDeploymentEndToEndTests(ClusterEnvironment cluster)
{
    public static TheoryData<string, string> Deliveries => new()
    {
        { "Remote", "envoyfilters" },
        { "HostPath", "envoyfilters" },
        { "WasmPlugin", "wasmplugins" },
    };

    [Theory]
    [MemberData(nameof(Deliveries))]
    public Task Applied_filter_deployment_makes_the_proxy_add_the_header(string delivery, string producedResource) =>
        cluster.Deliveries.RunAsync(delivery, () => DeliverAsync(cluster, delivery, producedResource));

    /// <summary>The whole flow for one delivery mode, as a platform engineer drives it with kubectl.</summary>
    internal static async Task DeliverAsync(ClusterEnvironment cluster, string delivery, string producedResource)
    {
        var ns = $"e2e-{delivery.ToLowerInvariant()}";
        var greeting = $"from-{delivery.ToLowerInvariant()}";
        // WasmPlugin hands pluginConfig to the filter as JSON, so its config is an object; the others a string.
        var (config, expectedHeader) = delivery == "WasmPlugin"
            ? ($"{{greeting: {greeting}}}", $$"""{"greeting":"{{greeting}}"}""")
            : ($"'{greeting}'", greeting);
        var manifests = cluster.Scratch($"{ns}.yaml");
        await File.WriteAllTextAsync(manifests, $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {{ns}}
            ---
            {{NamespaceGrants(delivery, ns)}}
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
                spec:
                  containers:
                  - name: details
                    image: docker.io/istio/examples-bookinfo-details-v1:1.16.2
            ---
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: bookinfo-custom-filter
              namespace: {{ns}}
            spec:
              deployment:
                istio:
                  kind: Deployment
                  delivery: {{delivery}}
                  labels:
                    app: details
              filter:
                config: {{config}}
                image: {{cluster.Image}}
                {{(delivery == "Remote" ? "imagePullOptions: {pullSecret: registry-credentials}" : "")}}
            """);

        await cluster.KubectlAsync("apply", "-f", manifests);
        await cluster.KubectlAsync("wait", "--for=condition=Ready", "filterdeployment/bookinfo-custom-filter", "-n", ns, "--timeout=90s");

        var names = (await cluster.KubectlAsync("get", producedResource, "-n", ns, "-o", "name"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var resource = Assert.Single(names);
        var resourceFile = cluster.Scratch($"{ns}-resource.yaml");
        await File.WriteAllTextAsync(resourceFile, await cluster.KubectlAsync("get", resource, "-n", ns, "-o", "yaml"));

        var status = cluster.Get("wasme.io/v1", "FilterDeployment", ns, "bookinfo-custom-filter")!["status"]!;
        var environment = cluster.Environment.ToDictionary();
        var arguments = new List<string> { "run", "--envoy-filter", resourceFile, "--echo-upstream" };
        if (delivery == "WasmPlugin")
        {
            // istio-agent pulls oci:// by the pinned manifest digest: so does this proxy, into a store of its own.
            Assert.Contains(status["imageDigest"]!.GetValue<string>(), await File.ReadAllTextAsync(resourceFile), StringComparison.Ordinal);
            environment["WASME_STORE"] = cluster.Scratch($"{ns}-proxy-store");
        }
        else
        {
            var moduleSha256 = status["moduleSha256"]!.GetValue<string>();
            Assert.Contains(moduleSha256, await File.ReadAllTextAsync(resourceFile), StringComparison.Ordinal);
            await WaitUntilCachedAsync(cluster, moduleSha256);
        }

        if (delivery == "HostPath")
        {
            // The sidecar sees the node's cache directory at the hostPath mount; so does this proxy.
            arguments.AddRange(["--mount", $"{cluster.CacheDirectory}:/var/local/lib/wasme-cache"]);
        }

        arguments.AddRange(["--listen", "127.0.0.1:0"]);
        await using var proxy = cluster.Track(WasmeProcess.Start("wasme run", environment, [.. arguments]));
        var listen = await proxy.WaitForBoundAsync(WasmeProcess.RunListening, TimeSpan.FromSeconds(60));

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://{listen}/details/1"));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}\n{proxy.Output}");
        Assert.True(response.Headers.TryGetValues("hello", out var values), $"no hello header in {Describe(response.Headers)}\n{proxy.Output}");
        Assert.Equal(expectedHeader, Assert.Single(values));
        if (delivery == "WasmPlugin")
        {
            Assert.Contains("e2e/add-header", (await WasmeProcess.RunAsync(environment, "list")).Output, StringComparison.Ordinal);
        }

        // A changed config replaces the produced object; deleting the FilterDeployment takes it away.
        var changed = delivery == "WasmPlugin" ? """{"greeting":"changed"}""" : "\"changed\"";
        await cluster.KubectlAsync("patch", "filterdeployment", "bookinfo-custom-filter", "-n", ns, "--type=merge", "-p", """{"spec":{"filter":{"config":""" + changed + "}}}");
        var (apiVersion, kind) = producedResource == "wasmplugins" ? ("extensions.istio.io/v1alpha1", "WasmPlugin") : ("networking.istio.io/v1alpha3", "EnvoyFilter");
        var producedName = resource.Split('/')[1];
        await WaitUntilAsync(() => cluster.Get(apiVersion, kind, ns, producedName)?.ToJsonString().Contains("changed", StringComparison.Ordinal) == true,
            $"the {resource} never took the changed config:\n{cluster.Operator.Output}");
        await cluster.KubectlAsync("delete", "filterdeployment", "bookinfo-custom-filter", "-n", ns, "--wait=true", "--timeout=90s");
        await WaitUntilAsync(() => cluster.Get(apiVersion, kind, ns, producedName) is null, $"the {resource} outlived its FilterDeployment:\n{cluster.Operator.Output}");
    }

    // What a namespace's owner grants wasme there (deploy/rbac/namespace-access.yaml, docs/install.md): HostPath needs
    // the operator to annotate workloads; a pull secret must be readable by the operator and the cache.
    private static string NamespaceGrants(string delivery, string ns) => delivery switch
    {
        "HostPath" => $$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: wasme-workload-annotator, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wasme-workload-annotator}
            subjects:
            - {kind: ServiceAccount, name: wasme-operator, namespace: wasme}
            ---
            """,
        "Remote" => $$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: registry-credentials, namespace: {{ns}}}
            data: {username: ZTJl, password: ZTJl}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: wasme-pull-secret-reader, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wasme-pull-secret-reader}
            subjects:
            - {kind: ServiceAccount, name: wasme-operator, namespace: wasme}
            - {kind: ServiceAccount, name: wasme-cache, namespace: wasme}
            ---
            """,
        _ => "",
    };

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(failure);
    }

    private static async Task WaitUntilCachedAsync(ClusterEnvironment cluster, string moduleSha256)
    {
        using var http = new HttpClient();
        var url = new Uri($"http://127.0.0.1:{cluster.CachePort}/sha256/{moduleSha256}");
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, url);
            using var response = await http.SendAsync(head);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the cache never served {moduleSha256}:\n{cluster.Cache.Output}");
    }

    private static string Describe(HttpResponseHeaders headers) =>
        string.Join(", ", headers.Select(h => $"{h.Key}: {string.Join('|', h.Value)}"));
}
