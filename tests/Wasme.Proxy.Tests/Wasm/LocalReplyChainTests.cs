using System.Net;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Wasm;

/// <summary>A local reply passes the response callbacks of the other filters, body included, as Envoy encodes it (issue 16).</summary>
public sealed class LocalReplyChainTests
{
    private static (byte[], PluginConfiguration) Plugin(string name, string body)
    {
        var wat = new Wat();
        var module = wat.Module(body.Replace("{DENIED}", wat.Str("denied"), StringComparison.Ordinal)
            .Replace("{OPEN}", wat.Str("["), StringComparison.Ordinal)
            .Replace("{CLOSE}", wat.Str("]"), StringComparison.Ordinal));
        return (Wasmtime.Module.ConvertText(module), new PluginConfiguration { Name = name });
    }

    [Fact]
    public async Task A_filter_before_the_replying_one_sees_and_can_rewrite_the_local_reply_body()
    {
        await using var upstream = await TestUpstream.StartAsync();
        // Brackets the response body once it has all of it.
        var wrap = Plugin("wrap", """
            (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
              (if (local.get 2)
                (then
                  (drop (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 0) (i32.const 0) {OPEN}))
                  (drop (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 1000000) (i32.const 0) {CLOSE}))))
              (i32.const 0))
            """);
        var deny = Plugin("deny", """
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_send_local_response (i32.const 403) {DENIED} {DENIED} (i32.const 0) (i32.const 0) (i32.const -1)))
              (i32.const 1))
            """);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [wrap, deny]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("[denied]", await response.Content.ReadAsStringAsync());
        Assert.Equal("[denied]".Length, response.Content.Headers.ContentLength);
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_filter_after_the_replying_one_never_saw_the_request_and_does_not_see_the_reply()
    {
        await using var upstream = await TestUpstream.StartAsync();
        // As Envoy: the guest's context is created with the request headers; a filter they never reached has none, so
        // its response callbacks pass the local reply untouched.
        var deny = Plugin("deny", """
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_send_local_response (i32.const 403) {DENIED} {DENIED} (i32.const 0) (i32.const 0) (i32.const -1)))
              (i32.const 1))
            """);
        var wrap = Plugin("wrap", """
            (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
              (if (local.get 2)
                (then
                  (drop (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 0) (i32.const 0) {OPEN}))
                  (drop (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 1000000) (i32.const 0) {CLOSE}))))
              (i32.const 0))
            """);
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [deny, wrap]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("denied", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.Received);
    }
}
