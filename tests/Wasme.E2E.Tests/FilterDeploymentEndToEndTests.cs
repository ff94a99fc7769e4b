using System.Net.Http.Headers;

namespace Wasme.E2E.Tests;

/// <summary>
/// Issue 7's proof: a FilterDeployment applied with kubectl ends with a proxy that runs the filter, for every
/// delivery mode. The operator and the cache are the real <c>wasme</c> processes; the proxy is
/// <c>wasme run --envoy-filter</c> reading exactly what the operator wrote, fetching the code as a sidecar would.
/// </summary>
public sealed class FilterDeploymentEndToEndTests(ClusterEnvironment cluster) : IClassFixture<ClusterEnvironment>
{
    [Theory]
    [InlineData("Remote", "envoyfilters")]
    [InlineData("HostPath", "envoyfilters")]
    [InlineData("WasmPlugin", "wasmplugins")]
    public async Task Applied_filter_deployment_makes_the_proxy_add_the_header(string delivery, string producedResource)
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
            await WaitUntilCachedAsync(moduleSha256);
        }

        if (delivery == "HostPath")
        {
            // The sidecar sees the node's cache directory at the hostPath mount; so does this proxy.
            arguments.AddRange(["--mount", $"{cluster.CacheDirectory}:/var/local/lib/wasme-cache"]);
        }

        var listen = WasmeProcess.FreePort();
        arguments.AddRange(["--listen", $"127.0.0.1:{listen}"]);
        await using var proxy = cluster.Track(WasmeProcess.Start("wasme run", environment, [.. arguments]));
        await proxy.WaitForPortAsync(listen, TimeSpan.FromSeconds(60));

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{listen}/details/1"));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}\n{proxy.Output}");
        Assert.True(response.Headers.TryGetValues("hello", out var values), $"no hello header in {Describe(response.Headers)}\n{proxy.Output}");
        Assert.Equal(expectedHeader, Assert.Single(values));
        if (delivery == "WasmPlugin")
        {
            Assert.Contains("e2e/add-header", (await WasmeProcess.RunAsync(environment, "list")).Output, StringComparison.Ordinal);
        }
    }

    private async Task WaitUntilCachedAsync(string moduleSha256)
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
