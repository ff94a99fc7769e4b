using System.Net;
using System.Text;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Wasm;

/// <summary>What Envoy does that the local proxy now does too: request Content-Length, trap counts, route properties (issue 16, point 8).</summary>
public sealed class EnvoyParityTests
{
    private static (byte[], PluginConfiguration) Plugin(string name, Func<Wat, string> body, FailurePolicy policy = FailurePolicy.FailClosed, int workers = 1)
    {
        var wat = new Wat();
        return (Wasmtime.Module.ConvertText(wat.Module(body(wat))), new PluginConfiguration { Name = name, FailurePolicy = policy, Workers = workers });
    }

    // Touches only the request headers; Envoy forwards the body and its Content-Length as they came.
    private static (byte[], PluginConfiguration) HeaderOnly() => Plugin("header", wat => $$"""
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str("x-seen")}} {{wat.Str("yes")}}))
          (i32.const 0))
        """);

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string body)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        return await client.PostAsync("/submit", content);
    }

    [Fact]
    public async Task A_request_body_no_filter_changes_keeps_its_content_length()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [HeaderOnly()]);

        using var response = await PostAsync(proxy.Client, "hello");

        var received = upstream.Received.Single();
        Assert.Equal("hello", Encoding.UTF8.GetString(received.Body));
        Assert.Equal("5", received.Headers["content-length"]);
        Assert.False(received.Headers.ContainsKey("transfer-encoding"));
        Assert.Equal("yes", received.Headers["x-seen"]);
    }

    [Fact]
    public async Task A_request_body_a_filter_rewrites_goes_out_with_the_new_length()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var rewrite = Plugin("rewrite", wat => $$"""
            (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
              (if (local.get 2)
                (then (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (local.get 1) {{wat.Str("a longer body")}}))))
              (i32.const 0))
            """);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [rewrite]);

        using var response = await PostAsync(proxy.Client, "short");

        var received = upstream.Received.Single();
        Assert.Equal("a longer body", Encoding.UTF8.GetString(received.Body));
        Assert.Equal("13", received.Headers["content-length"]);
    }

    [Fact]
    public async Task A_filter_that_removes_content_length_gets_the_body_forwarded_chunked()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var remove = Plugin("remove", wat => $$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_remove_header_map_value (i32.const 0) {{wat.Str("content-length")}}))
              (i32.const 0))
            """);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [remove]);

        using var response = await PostAsync(proxy.Client, "hello");

        var received = upstream.Received.Single();
        Assert.Equal("hello", Encoding.UTF8.GetString(received.Body));
        Assert.False(received.Headers.ContainsKey("content-length"));
        Assert.Equal("chunked", received.Headers["transfer-encoding"]);
    }

    [Fact]
    public async Task A_trapping_vm_is_counted_as_a_filter_failure_on_the_admin_endpoint()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var trap = Plugin("trap", _ => """
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              unreachable)
            """);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [trap]);

        using var first = await proxy.Client.GetAsync("/");
        using var second = await proxy.Client.GetAsync("/");
        using var admin = new HttpClient();
        var text = await admin.GetStringAsync(new Uri(proxy.Proxy.AdminUrl, "stats"));
        var json = await admin.GetStringAsync(new Uri(proxy.Proxy.AdminUrl, "stats?format=json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        // One VM trapped once; the second request found it failed.
        Assert.Contains("wasme_proxy_filter_failures_total{filter=\"trap\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("\"trap\": 1", json, StringComparison.Ordinal);
        Assert.Contains("wasm_envoy_wasm_runtime_wasmtime_created 1\n", text, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task Reload_policy_counts_its_reloads_under_envoys_stat_names()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var trap = Plugin("flaky", _ => """
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              unreachable)
            """, FailurePolicy.Reload);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [trap]);
        var reload = proxy.Filters.Plugins[0];

        using var first = await proxy.Client.GetAsync("/");
        using var second = await proxy.Client.GetAsync("/");
        using var admin = new HttpClient();
        var text = await admin.GetStringAsync(new Uri(proxy.Proxy.AdminUrl, "stats"));

        Assert.Equal(1, reload.Statistics.VmFailures);
        Assert.Contains("wasme_proxy_filter_failures_total{filter=\"flaky\"} 1\n", text, StringComparison.Ordinal);
        // The second request came within the 1 s backoff: no reload yet, one backoff.
        Assert.Contains("wasm_flaky_vm_reload_backoff{filter=\"flaky\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("wasm_flaky_vm_reload{filter=\"flaky\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_worker_runs_its_own_vm()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [Plugin("three", _ => "", workers: 3)]);

        Assert.Equal(3, proxy.Filters.Runtime.ActiveVms);
        Assert.Equal(3, proxy.Filters.Runtime.VmsCreated);
    }

    [Fact]
    public async Task Filters_read_the_route_name_and_metadata_the_proxy_was_given()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var reader = Plugin("route", wat => $$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_property {{wat.Str("xds\u0000route_name")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-route")}}
              (drop (call $proxy_get_property {{wat.Str("xds\u0000route_metadata\u0000filter_metadata\u0000istio\u0000service")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-service")}}
              (drop (call $proxy_get_property {{wat.Str("route_name")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-legacy-route")}}
              (i32.const 0))
            """);
        var route = new ProxyRoute("reviews-route", new Dictionary<string, string> { ["filter_metadata.istio.service"] = "reviews" });
        var filters = new Wasme.Proxy.Wasm.WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.Add(reader.Item1, reader.Item2);
        try
        {
            await using var proxy = await RunningProxy.StartAsync(upstream.Url, filters.Factories, o => o with { Route = route });

            using var response = await proxy.Client.GetAsync("/");
        }
        finally
        {
            filters.Dispose();
        }

        var received = upstream.Received.Single();
        Assert.Equal("reviews-route", received.Headers["x-route"]);
        Assert.Equal("reviews-route", received.Headers["x-legacy-route"]);
        Assert.Equal("reviews", received.Headers["x-service"]);
    }
}
