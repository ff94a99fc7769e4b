using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class AbiTests : IDisposable
{
    private readonly HostHarness _host = new();

    [Theory]
    [InlineData("0_1_0", AbiVersion.V010)]
    [InlineData("0_2_0", AbiVersion.V020)]
    [InlineData("0_2_1", AbiVersion.V021)]
    public void The_marker_export_selects_the_abi(string marker, AbiVersion expected)
    {
        var wat = new Wat { Abi = marker };
        using var module = _host.Runtime.LoadModuleFromText(wat.Module(""), "m");

        Assert.Equal(expected, module.AbiVersion);
    }

    [Fact]
    public void A_module_without_a_marker_is_refused_with_a_clear_error()
    {
        const string wat = """
            (module
              (memory (export "memory") 1)
              (func (export "malloc") (param i32) (result i32) (i32.const 0))
              (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0)))
            """;

        var error = Assert.Throws<ProxyWasmException>(() => _host.Runtime.LoadModuleFromText(wat, "jwt_header"));

        Assert.Contains("no known Proxy-Wasm ABI marker", error.Message);
        Assert.Contains("jwt_header", error.Message);
    }

    [Fact]
    public void An_unknown_marker_is_refused_unless_an_abi_is_assumed()
    {
        const string wat = """
            (module
              (memory (export "memory") 1)
              (func (export "proxy_abi_version_0_3_0"))
              (func (export "malloc") (param i32) (result i32) (i32.const 0)))
            """;
        Assert.Throws<ProxyWasmException>(() => _host.Runtime.LoadModuleFromText(wat, "future"));

        using var lenient = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions { AssumedAbiVersion = AbiVersion.V020 });
        using var module = lenient.LoadModuleFromText(wat, "future");
        Assert.Equal(AbiVersion.V020, module.AbiVersion);
    }

    [Fact]
    public void A_callback_whose_signature_contradicts_the_marker_is_refused()
    {
        var wat = new Wat { Abi = "0_2_1" };
        var module = wat.Module("""(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))""");

        var error = Assert.Throws<ProxyWasmException>(() => _host.Runtime.LoadModuleFromText(module, "m"));

        Assert.Contains("proxy_on_request_headers", error.Message);
        Assert.Contains("0.2.1", error.Message);
    }

    [Fact]
    public void A_true_0_1_0_module_gets_two_parameter_header_callbacks_and_its_own_host_functions()
    {
        var wat = new Wat { Abi = "0_1_0" };
        var body = $$"""
            (import "env" "proxy_get_configuration" (func $get_configuration (param i32 i32) (result i32)))
            (import "env" "proxy_continue_request" (func $continue_request (result i32)))
            (import "env" "proxy_continue_response" (func $continue_response (result i32)))
            (import "env" "proxy_clear_route_cache" (func $clear_route_cache (result i32)))
            """;
        var callbacks = $$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $get_configuration (i32.const 0) (i32.const 4)))
              (i32.const 1))
            (func (export "proxy_on_request_headers") (param $ctx i32) (param $count i32) (result i32)
              (drop (call $get_configuration (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-config")}}
              {{wat.Record("missing_header", $"(call $proxy_get_header_map_value (i32.const 0) {wat.Str("absent")} (i32.const 8) (i32.const 12))")}}
              {{wat.Record("continue_request", "(call $continue_request)")}}
              (i32.const 0))
            """;
        var module = wat.Module(callbacks, imports: body + Wat.EnvImports);
        using var plugin = _host.Start(module, new PluginConfiguration { Name = "v010", Configuration = "cfg"u8.ToArray() });
        var host = new RecordingStreamHost();
        var headers = HostHarness.RequestHeaders();

        using var stream = plugin.CreateHttpStream(host);
        Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(headers, endOfStream: true));

        Assert.Equal(AbiVersion.V010, plugin.Module.AbiVersion);
        Assert.Equal("cfg", Assert.Single(headers.GetValues("x-config")));
        Assert.Equal(0, _host.Gauge("missing_header")); // 0.1.0: OK with an empty value, not NOT_FOUND
        Assert.Equal(0, _host.Gauge("continue_request"));
        Assert.Equal([StreamType.HttpRequest], host.Continued);
    }

    [Fact]
    public void A_0_1_0_marked_module_with_three_parameter_callbacks_receives_end_of_stream()
    {
        var wat = new Wat { Abi = "0_1_0" };
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param $ctx i32) (param $count i32) (param $eos i32) (result i32)
              {{wat.Record("eos", "(local.get $eos)")}}
              {{wat.Record("count", "(local.get $count)")}}
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);

        Assert.Equal(1, _host.Gauge("eos"));
        Assert.Equal(4, _host.Gauge("count"));
    }

    [Fact]
    public void An_import_this_host_does_not_provide_is_named_in_the_error()
    {
        var wat = new Wat();
        var imports = """(import "env" "proxy_dispatch_http_call" (func (param i32) (result i32)))""" + Wat.EnvImports;

        var error = Assert.Throws<ProxyWasmException>(() => _host.Runtime.LoadModuleFromText(wat.Module("", imports), "mosn"));

        Assert.Contains("env.proxy_dispatch_http_call", error.Message);
    }

    [Theory]
    [InlineData("rust_sdk_0_2_1.wat")]
    [InlineData("go_sdk_0_2_0.wat")]
    [InlineData("tinygo_sdk_0_2_0.wat")]
    [InlineData("assemblyscript_sdk_0_2_1.wat")]
    [InlineData("emscripten_cpp_0_2_1.wat")]
    public void The_full_import_lists_of_the_sdks_link_and_start(string file)
    {
        var wat = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Modules", file));
        using var module = _host.Runtime.LoadModuleFromText(wat, file);
        using var plugin = _host.Runtime.CreatePlugin(module, new PluginConfiguration { Name = file });
        var host = new RecordingStreamHost();

        using (var stream = plugin.CreateHttpStream(host))
        {
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
            stream.OnDone();
        }

        Assert.False(plugin.IsFailed, plugin.FailureReason);
        Assert.Contains(_host.Logs.Messages, m => m.Contains($"{file} started", StringComparison.Ordinal));
    }

    public void Dispose() => _host.Dispose();
}
