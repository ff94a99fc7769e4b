using System.Text;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Wasm;

/// <summary>A filter that rewrites a body is held to the same body buffer limit as the bytes it buffers (--max-buffered-body).</summary>
public sealed class BodyRewriteLimitTests
{
    [Fact]
    public async Task A_filter_cannot_grow_a_request_body_past_the_proxys_body_buffer_limit()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var wat = new Wat();
        // At the end of the body, appends 64 KiB of its memory 40 times (2.5 MiB) and records the last status.
        var module = Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
              (local $left i32)
              (if (i32.eqz (local.get 2)) (then (return (i32.const 1))))
              (local.set $left (i32.const 40))
              (loop $grow
                {{wat.Record("last_status", "(call $proxy_set_buffer_bytes (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 65536))")}}
                (br_if $grow (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
              (i32.const 0))
            """));
        using var filters = new WasmFilterSet(new Dictionary<string, Uri>(), TestLogging.Factory, TimeProvider.System);
        filters.Add(module, new PluginConfiguration { Name = "grower" });
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, filters.Factories, o => o with { BodyBufferLimit = 200_000 }, [filters.MetricsSource]);

        using var content = new ByteArrayContent("hi"u8.ToArray());
        using var response = await proxy.Client.PostAsync("/upload", content);

        var received = upstream.Received.Single();
        Assert.Equal(2 + (3 * 65536), received.Body.Length); // a fourth 64 KiB would pass 200,000 bytes
        Assert.Equal("hi", Encoding.UTF8.GetString(received.Body, 0, 2));
        Assert.Equal(10, filters.Runtime.GetMetrics().Single(m => m.Name == "last_status").Value); // INTERNAL_FAILURE
    }
}
