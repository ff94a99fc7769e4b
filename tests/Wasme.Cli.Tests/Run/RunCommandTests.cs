using System.Net;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Microsoft.AspNetCore.Http;
using Wasme.Testing.Filters;
using Wasme.Testing.Http;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// The real <c>wasme run</c> with real AssemblyScript filters, driven over HTTP from the client side (issue 3,
/// acceptance 1): from the local store and from a .wasm file, with a configuration, under each failure policy,
/// and refusing bad input with a clear error and exit code.
/// </summary>
public sealed class RunCommandTests(AssemblyScriptFilters filters) : IClassFixture<AssemblyScriptFilters>, IDisposable
{
    // Traps on every request: the failure policy decides what the client sees.
    private const string CrashSource = """
        export * from "@solo-io/proxy-runtime/proxy";
        import { Context, FilterHeadersStatusValues, registerRootContext, RootContext } from "@solo-io/proxy-runtime";

        class CrashRoot extends RootContext {
          createContext(context_id: u32): Context { return new Crash(context_id, this); }
        }
        class Crash extends Context {
          constructor(context_id: u32, root_context: CrashRoot) { super(context_id, root_context); }
          onRequestHeaders(header_count: u32, end_of_stream: bool): FilterHeadersStatusValues {
            unreachable();
            return FilterHeadersStatusValues.Continue;
          }
        }
        registerRootContext((context_id: u32) => { return new CrashRoot(context_id); }, "crash");
        """;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-cli-run-");

    private static Task AnswerUpstream(HttpContext context) => context.Response.WriteAsync("upstream");

    [Fact]
    public async Task An_image_from_the_store_adds_the_configured_header_to_every_response()
    {
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        var store = Path.Combine(_directory.FullName, "store");
        await new LocalImageStore(store).AddAsync(ImageReference.Parse("localhost/tests/add-header:v1"), filter.Module, filter.Config, WasmImageFormat.Wasme);
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync("localhost/tests/add-header:v1", "--store", store, "--upstream", upstream.Url.ToString(), "--config", "tomorrow");
        Assert.Null(wasme.ExitCode);

        for (var i = 0; i < 20; i++)
        {
            using var response = await wasme.Client.GetAsync($"/item/{i}");
            // A CI run once saw a 500 here that reruns did not reproduce: keep what wasme logged.
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)response.StatusCode}\n{wasme.Out.Output}\n{wasme.Error.Output}");
            Assert.Equal("tomorrow", response.Headers.GetValues("hello").Single());
            Assert.Equal("upstream", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(20, upstream.Received.Count);
        Assert.Contains("filter add-header (root id 'add_header'", wasme.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wasm_file_takes_its_configuration_from_a_file()
    {
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        var module = Path.Combine(_directory.FullName, "add_header.wasm");
        await File.WriteAllBytesAsync(module, filter.Module);
        var config = Path.Combine(_directory.FullName, "config.txt");
        await File.WriteAllTextAsync(config, "from-a-file");
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync(module, "--root-id", "add_header", "--upstream", upstream.Url.ToString(), "--config-file", config);
        Assert.Null(wasme.ExitCode);

        using var response = await wasme.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("from-a-file", response.Headers.GetValues("hello").Single());
    }

    [Fact]
    public async Task The_empty_root_id_is_accepted_as_the_cpp_sdk_default()
    {
        // The root context ignores its root id, as a C++ SDK filter registered under the default "" does.
        var wat = new Wat();
        var module = wat.Module($"""
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 2) {wat.Str("x-filtered")} {wat.Str("yes")}))
              (i32.const 0))
            """);
        var store = Path.Combine(_directory.FullName, "store");
        await new LocalImageStore(store).AddAsync(ImageReference.Parse("localhost/tests/default-root:v1"), Wasmtime.Module.ConvertText(module),
            RuntimeConfig.Create(["v0.2.1"], ["add_header"]), WasmImageFormat.Wasme);
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync("localhost/tests/default-root:v1", "--store", store, "--root-id", "", "--upstream", upstream.Url.ToString());
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        using var response = await wasme.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("x-filtered").Single());
        Assert.Contains("(root id ''", wasme.Out.Output, StringComparison.Ordinal);
    }

    // Keeps the VM configuration read in proxy_on_vm_start (past the per-stream heap reset) and answers each
    // response with it and with the guest's first environment variable (KEY=VALUE).
    private static byte[] VmConfigEchoModule()
    {
        var wat = new Wat();
        return Wasmtime.Module.ConvertText(wat.Module($"""
            (global $vm_ptr (mut i32) (i32.const 0))
            (global $vm_len (mut i32) (i32.const 0))
            (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
              (drop (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (local.get 1) (i32.const 0) (i32.const 4)))
              (global.set $vm_ptr (i32.load (i32.const 0)))
              (global.set $vm_len (i32.load (i32.const 4)))
              (global.set $heap_base (global.get $heap))
              (i32.const 1))
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 2) {wat.Str("x-vm-config")} (global.get $vm_ptr) (global.get $vm_len)))
              (drop (call $environ_sizes_get (i32.const 8) (i32.const 12)))
              (if (i32.gt_u (i32.load (i32.const 8)) (i32.const 0))
                (then
                  (drop (call $environ_get (i32.const 16) (i32.const 40000)))
                  (drop (call $proxy_add_header_map_value (i32.const 2) {wat.Str("x-env")} (i32.load (i32.const 16)) (call $strlen (i32.load (i32.const 16)))))))
              (i32.const 0))
            (func $strlen (param $p i32) (result i32)
              (local $n i32)
              (block $done (loop $next
                (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br $next)))
              (local.get $n))
            """));
    }

    [Fact]
    public async Task The_vm_config_flag_reaches_proxy_on_vm_start()
    {
        var module = Path.Combine(_directory.FullName, "vm.wasm");
        await File.WriteAllBytesAsync(module, VmConfigEchoModule());
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync(module, "--vm-config", "vm-settings", "--upstream", upstream.Url.ToString());
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        using var response = await wasme.Client.GetAsync("/");

        Assert.Equal("vm-settings", response.Headers.GetValues("x-vm-config").Single());
    }

    [Fact]
    public async Task An_envoy_filter_carries_its_vm_configuration_and_environment_variables_into_the_filter()
    {
        var module = Path.Combine(_directory.FullName, "vm.wasm");
        await File.WriteAllBytesAsync(module, VmConfigEchoModule());
        var resource = Path.Combine(_directory.FullName, "filter.yaml");
        await File.WriteAllTextAsync(resource, $$"""
            kind: EnvoyFilter
            metadata: {name: vm, namespace: shop}
            spec:
              configPatches:
              - applyTo: HTTP_FILTER
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.filters.http.wasm
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        vm_config:
                          configuration: {"@type": type.googleapis.com/google.protobuf.StringValue, value: from-the-resource}
                          environment_variables:
                            key_values: {REGION: eu}
                          code:
                            local:
                              filename: "{{module}}"
            """);
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync("--envoy-filter", resource, "--upstream", upstream.Url.ToString());
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        using var response = await wasme.Client.GetAsync("/");

        Assert.Equal("from-the-resource", response.Headers.GetValues("x-vm-config").Single());
        Assert.Equal("REGION=eu", response.Headers.GetValues("x-env").Single());
    }

    [Fact]
    public async Task Vm_config_and_vm_config_file_together_are_a_usage_error()
    {
        var module = Path.Combine(_directory.FullName, "vm.wasm");
        await File.WriteAllBytesAsync(module, VmConfigEchoModule());
        await using var wasme = await RunningWasme.StartAsync(module, "--vm-config", "a", "--vm-config-file", module, "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("--vm-config and --vm-config-file are exclusive", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fail-closed", HttpStatusCode.ServiceUnavailable, 0)]
    [InlineData("fail-open", HttpStatusCode.OK, 2)]
    public async Task A_trapping_filter_answers_as_its_failure_policy_says(string policy, HttpStatusCode expected, int reachedUpstream)
    {
        var filter = await filters.BuildAsync(CrashSource, ["crash"]);
        var module = Path.Combine(_directory.FullName, "crash.wasm");
        await File.WriteAllBytesAsync(module, filter.Module);
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync(module, "--root-id", "crash", "--upstream", upstream.Url.ToString(), "--fail-policy", policy);
        Assert.Null(wasme.ExitCode);

        using var first = await wasme.Client.GetAsync("/");
        using var second = await wasme.Client.GetAsync("/");

        Assert.Equal(expected, first.StatusCode);
        Assert.Equal(expected, second.StatusCode);
        Assert.Equal(reachedUpstream, upstream.Received.Count);
        Assert.Null(wasme.ExitCode);
    }

    [Fact]
    public async Task A_missing_module_file_is_not_found_and_nothing_listens()
    {
        var missing = Path.Combine(_directory.FullName, "nope.wasm");

        await using var wasme = await RunningWasme.StartAsync(missing, "--upstream", "http://127.0.0.1:9");

        Assert.Equal(ExitCodes.NotFound, wasme.ExitCode);
        Assert.Contains($"{missing} does not exist", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("--root-id", "add_headr")]
    public async Task A_root_id_the_module_does_not_serve_is_one_line_that_points_at_root_id(params string[] rootId)
    {
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        var module = Path.Combine(_directory.FullName, "add_header.wasm");
        await File.WriteAllBytesAsync(module, filter.Module);

        await using var wasme = await RunningWasme.StartAsync([module, .. rootId, "--upstream", "http://127.0.0.1:9"]);

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        var error = wasme.Error.Output.Trim();
        Assert.False(error.Contains('\n', StringComparison.Ordinal), error);
        Assert.Contains($"{module} did not start ", error, StringComparison.Ordinal);
        Assert.Contains("pass --root-id with a root id the module registers (it declares none", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_WebAssembly_is_one_line_naming_it_and_nothing_listens()
    {
        var notWasm = Path.Combine(_directory.FullName, "notes.wasm");
        await File.WriteAllTextAsync(notWasm, "hello, this is text\n");

        await using var wasme = await RunningWasme.StartAsync(notWasm, "--upstream", "http://127.0.0.1:9");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        var error = wasme.Error.Output.Trim();
        Assert.Equal($"error: {notWasm} is not a WebAssembly module (the file does not start with the Wasm magic number \\0asm at byte offset 0)", error);
    }

    [Fact]
    public async Task A_module_without_a_proxy_wasm_marker_is_refused_as_bad_input()
    {
        var module = Path.Combine(_directory.FullName, "plain.wasm");
        await File.WriteAllBytesAsync(module, WasmModuleBuilder.ProxyWasmModule(abiMarker: "not_a_marker"));

        await using var wasme = await RunningWasme.StartAsync(module, "--upstream", "http://127.0.0.1:9");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("proxy_abi_version", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_idle_timeout_that_is_not_a_duration_is_refused_before_anything_listens()
    {
        var module = Path.Combine(_directory.FullName, "plain.wasm");
        await File.WriteAllBytesAsync(module, WasmModuleBuilder.ProxyWasmModule());

        await using var wasme = await RunningWasme.StartAsync(module, "--upstream", "http://127.0.0.1:9", "--stream-idle-timeout", "soon");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("--stream-idle-timeout 'soon' is not a positive duration", wasme.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
