using System.Text;
using Microsoft.Extensions.Time.Testing;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Wasm;

/// <summary>
/// A Wasm service (Envoy's <c>envoy.bootstrap.wasm</c>, singleton) next to the HTTP chain: the shared-queue pattern of
/// the Rust and Go SDKs, where an HTTP filter enqueues to a queue a service registered and the service dequeues it
/// (issue 16 point 4).
/// </summary>
public sealed class ServiceTests
{
    /// <summary>The receiver: registers "paths" at configure, keeps each message as shared data, counts its ticks.</summary>
    private static byte[] Collector()
    {
        var wat = new Wat();
        return Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_register_shared_queue {{wat.Str("paths")}} (i32.const 16)))
              (drop (call $proxy_set_tick_period_milliseconds (i32.const 1000)))
              (i32.const 1))
            (func (export "proxy_on_queue_ready") (param i32) (param $queue i32)
              (if (i32.eqz (call $proxy_dequeue_shared_queue (local.get $queue) (i32.const 0) (i32.const 4)))
                (then
                  (drop (call $proxy_set_shared_data {{wat.Str("last_path")}} (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.const 0))))))
            (func (export "proxy_on_tick") (param i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("collector_ticks")}} (i32.const 244)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 244)) (i64.const 1))))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              ;; never called: a service has no streams
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("collector_saw_a_request")}} (i32.const 244)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 244)) (i64.const 1)))
              (i32.const 0))
            """));
    }

    /// <summary>The sender: an HTTP filter that finds the service's queue by its VM id and enqueues each request's path.</summary>
    private static byte[] Sender()
    {
        var wat = new Wat();
        return Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (if (i32.eqz (call $proxy_resolve_shared_queue {{wat.Str("collector")}} {{wat.Str("paths")}} (i32.const 16)))
                (then
                  (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str(":path")}} (i32.const 0) (i32.const 4)))
                  (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 16)) (i32.load (i32.const 0)) (i32.load (i32.const 4))))))
              (i32.const 0))
            """));
    }

    [Fact]
    public async Task A_service_outside_the_chain_receives_what_an_http_filter_enqueues_and_runs_its_ticks()
    {
        var time = new FakeTimeProvider();
        using var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, time);
        var service = filters.AddService(Collector(), new PluginConfiguration { Name = "collector", VmId = "collector", Workers = 1 });
        filters.Add(Sender(), new PluginConfiguration { Name = "sender", VmId = "sender" });
        await using var proxy = await RunningProxy.StartAsync(null, filters.Factories, metrics: [filters.MetricsSource]);

        using var response = await proxy.Client.GetAsync("/orders/42");

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("/orders/42", await WaitForSharedDataAsync(filters.Runtime, "collector", "last_path"));
        Assert.Single(filters.Factories);
        Assert.Equal([service], filters.Services);
        Assert.DoesNotContain(filters.Runtime.GetMetrics(), m => m.Name == "collector_saw_a_request");

        time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(3, filters.Runtime.GetMetrics().Single(m => m.Name == "collector_ticks").Value);
    }

    /// <summary>proxy_on_queue_ready runs on a pool thread after the enqueue returns; wait for its effect.</summary>
    private static async Task<string?> WaitForSharedDataAsync(ProxyWasmRuntime runtime, string vmId, string key)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (runtime.TryGetSharedData(vmId, key, out var value))
            {
                return Encoding.UTF8.GetString(value);
            }

            await Task.Delay(10);
        }

        return null;
    }
}
