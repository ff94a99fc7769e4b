using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Wasme.Proxy.Istio;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Istio;

/// <summary>Running what an EnvoyFilter describes, with its module fetched over HTTP as Envoy would (issue 7).</summary>
public sealed class EnvoyFilterRunTests(AssemblyScriptFilters filters) : IClassFixture<AssemblyScriptFilters>
{
    private static string RemoteEnvoyFilter(string sha256, string configuration) => $$"""
        kind: EnvoyFilter
        metadata: {name: details-v1-hello, namespace: bookinfo}
        spec:
          configPatches:
          - applyTo: HTTP_FILTER
            patch:
              operation: INSERT_BEFORE
              value:
                name: envoy.filters.http.wasm
                typed_config:
                  '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                  config:
                    name: hello
                    root_id: add_header
                    configuration: {'@type': type.googleapis.com/google.protobuf.StringValue, value: {{configuration}}}
                    vm_config:
                      vm_id: hello
                      code:
                        remote:
                          http_uri: {uri: 'http://wasme-cache.wasme.svc.cluster.local:9979/sha256/{{sha256}}', cluster: wasme-cache, timeout: 5s}
                          sha256: {{sha256}}
        """;

    private static async Task<(WasmFilterDefinition Filter, byte[] Module)> FetchAsync(string yaml, Uri cache)
    {
        var filter = Assert.Single(IstioResourceReader.Read(yaml, "envoyfilter.yaml"));
        using var client = new HttpClient();
        var fetcher = new WasmCodeFetcher(client, new Dictionary<string, Uri> { ["wasme-cache"] = cache }, null, WasmCodeFetcher.DefaultMaxModuleBytes);
        return (filter, await fetcher.FetchAsync(filter, CancellationToken.None));
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Runs_the_filter_an_envoy_filter_describes_with_code_fetched_through_its_cluster()
    {
        var module = (await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource)).Module;
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(module));
        await using var cache = await TestUpstream.StartAsync(context =>
            context.Request.Path == $"/sha256/{sha256}" ? context.Response.Body.WriteAsync(module).AsTask() : NotFound(context));
        await using var upstream = await TestUpstream.StartAsync();

        var (filter, fetched) = await FetchAsync(RemoteEnvoyFilter(sha256, "from-envoyfilter"), cache.Url);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(fetched, new PluginConfiguration
        {
            Name = filter.Name,
            RootId = filter.RootId,
            VmId = filter.VmId,
            Configuration = System.Text.Encoding.UTF8.GetBytes(filter.Configuration),
        })]);
        using var response = await proxy.Client.GetAsync("/details/1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("from-envoyfilter", response.Headers.GetValues("hello").Single());
        Assert.Single(cache.Received);
    }

    [Fact]
    public async Task Refuses_remote_code_whose_sha256_does_not_match()
    {
        var module = (await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource)).Module;
        var pinned = Convert.ToHexStringLower(SHA256.HashData(module));
        var tampered = module.ToArray();
        tampered[^1] ^= 0xFF;
        await using var cache = await TestUpstream.StartAsync(context => context.Response.Body.WriteAsync(tampered).AsTask());

        var error = await Assert.ThrowsAsync<WasmCodeFetchException>(() => FetchAsync(RemoteEnvoyFilter(pinned, "x"), cache.Url));

        Assert.Equal(WasmCodeFailure.Integrity, error.Failure);
        Assert.Contains($"pins {pinned}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_module_in_the_cache_is_not_found()
    {
        await using var cache = await TestUpstream.StartAsync(NotFound);

        var error = await Assert.ThrowsAsync<WasmCodeFetchException>(() => FetchAsync(RemoteEnvoyFilter(new string('a', 64), "x"), cache.Url));

        Assert.Equal(WasmCodeFailure.NotFound, error.Failure);
    }
}
