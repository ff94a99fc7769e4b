using System.Text;
using Wasme.Cli.Tests.Support;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Oci.Wasm;
using Wasme.Testing.Filters;

namespace Wasme.Cli.Tests.Authoring;

public sealed class BuildCommandTests : IDisposable
{
    private const string RuntimeConfigV021 = """{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header"]}}""";
    private readonly TempDirectory _temp = new();
    private readonly CliRunner _cli;
    private readonly string _store;

    public BuildCommandTests()
    {
        _cli = AuthoringCli.Create(_temp.Combine("home"));
        _store = _temp.Combine("store");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Init_then_build_assemblyscript_with_the_real_sdk_stores_an_image_with_the_abi_marker_and_root_id()
    {
        var project = _temp.Combine("filter");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "assemblyscript"));

        var exitCode = await _cli.RunAsync("build", "assemblyscript", project, "-t", "my-filter:v1", "--store", _store);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        Assert.Contains("Stored docker.io/library/my-filter:v1", _cli.Out.Output, StringComparison.Ordinal);
        var store = new LocalImageStore(_store);
        var image = await store.GetAsync(ImageReference.Parse("my-filter:v1"));
        Assert.Equal(["v0.2.0"], image.AbiVersions);
        Assert.Equal(["add_header"], image.RootIds);
        var module = await store.ReadModuleAsync(image);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(project, "build", "optimized.wasm")), module);
        var parsed = WasmModule.Parse(module);
        Assert.Equal([ProxyWasmAbiVersion.V0_2_0], ProxyWasmAbi.DetectVersions(parsed));
        Assert.True(parsed.DataContainsString("add_header"));
    }

    [Fact]
    public async Task Build_precompiled_stores_the_module_byte_for_byte()
    {
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header");
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "127.0.0.1:5000/team/filter:v1", "--config", config, "--store", _store);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        var store = new LocalImageStore(_store);
        var image = await store.GetAsync(ImageReference.Parse("127.0.0.1:5000/team/filter:v1"));
        Assert.Equal(module, await store.ReadModuleAsync(image));
        Assert.Equal(["v0.2.1"], image.AbiVersions);
    }

    [Fact]
    public async Task Build_precompiled_with_output_json_prints_the_stored_image_as_inspect_does()
    {
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header");
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store, "-o", "json");

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        var image = await new LocalImageStore(_store).GetAsync(ImageReference.Parse("filter:v1"));
        using var json = System.Text.Json.JsonDocument.Parse(_cli.Out.Output);
        Assert.Equal("docker.io/library/filter:v1", json.RootElement.GetProperty("reference").GetString());
        Assert.Equal(image.ManifestDigest.ToString(), json.RootElement.GetProperty("digest").GetString());
        Assert.Equal(image.ModuleDigest.ToString(), json.RootElement.GetProperty("moduleDigest").GetString());
        Assert.Equal(["add_header"], json.RootElement.GetProperty("rootIds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Build_into_a_digest_reference_is_a_usage_error_that_asks_for_a_tag()
    {
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header");
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);
        var digest = "sha256:" + new string('0', 64);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", $"filter@{digest}", "--config", config, "--store", _store);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"names a digest ({digest}); the build computes the digest", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("-t docker.io/library/filter:latest", _cli.Error.Output, StringComparison.Ordinal);
        await AssertStoreEmptyAsync();
    }

    [Fact]
    public async Task Build_prints_a_root_id_with_terminal_escapes_harmlessly()
    {
        // A runtime config shipped with a downloaded module could retitle or scramble the terminal.
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header");
        var (file, config) = await WriteInputsAsync(module, """{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header\u001b]0;owned\u0007"]}}""");

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        Assert.Contains("root ids: add_header?]0;owned?", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("root id 'add_header?]0;owned?'", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', _cli.Out.Output + _cli.Error.Output);
    }

    [Fact]
    public async Task Build_precompiled_rejects_a_file_that_is_not_wasm_and_stores_nothing()
    {
        var (file, config) = await WriteInputsAsync(Encoding.UTF8.GetBytes("#!/bin/sh\necho not wasm\n"), RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("is not a WebAssembly module", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was stored", _cli.Error.Output, StringComparison.Ordinal);
        await AssertStoreEmptyAsync();
    }

    [Fact]
    public async Task Build_precompiled_rejects_a_module_without_abi_marker_and_stores_nothing()
    {
        var builder = new WasmModuleBuilder();
        var module = builder.AddMemory().AddFunction(builder.AddType([], []), "_start").AddData(0, "add_header", Encoding.UTF8).Build();
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("exports no Proxy-Wasm ABI marker", _cli.Error.Output, StringComparison.Ordinal);
        await AssertStoreEmptyAsync();
    }

    [Fact]
    public async Task Build_precompiled_names_the_abi_to_declare_when_the_config_contradicts_the_module()
    {
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_0", "add_header");
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("set \"abiVersions\": [\"v0.2.0\"]", _cli.Error.Output, StringComparison.Ordinal);
        await AssertStoreEmptyAsync();
    }

    [Fact]
    public async Task Build_precompiled_stores_a_root_id_the_module_data_does_not_show_with_a_warning()
    {
        // SDKs may build a root id at run time, so its absence from the data proves nothing.
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "other_root");
        var (file, config) = await WriteInputsAsync(module, RuntimeConfigV021);

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        Assert.Contains("warning: root id 'add_header' does not appear in the module's data", _cli.Error.Output, StringComparison.Ordinal);
        var image = await new LocalImageStore(_store).GetAsync(ImageReference.Parse("filter:v1"));
        Assert.Equal(["add_header"], image.RootIds);
    }

    [Fact]
    public async Task Build_precompiled_accepts_the_empty_root_id_the_cpp_sdk_uses_by_default()
    {
        var module = WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "unrelated");
        var (file, config) = await WriteInputsAsync(module, """{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":[""]}}""");

        var exitCode = await _cli.RunAsync("build", "precompiled", file, "-t", "filter:v1", "--config", config, "--store", _store);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output);
        Assert.DoesNotContain("warning", _cli.Error.Output, StringComparison.Ordinal);
        var image = await new LocalImageStore(_store).GetAsync(ImageReference.Parse("filter:v1"));
        Assert.Equal([""], image.RootIds);
    }

    [Theory]
    [InlineData("assemblyscript", "toolchain npm missing: install it with Node.js and npm")]
    [InlineData("rust", "toolchain cargo missing: install it with rustup (https://rustup.rs)")]
    [InlineData("tinygo", "toolchain tinygo missing: install it with TinyGo")]
    [InlineData("cpp", "toolchain em++ missing: install it with Emscripten")]
    public async Task Build_without_the_toolchain_exits_7_with_an_install_hint_and_stores_nothing(string language, string expected)
    {
        var project = _temp.Combine("filter");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", language));
        var emptyPath = _temp.Combine("empty-path");
        Directory.CreateDirectory(emptyPath);

        var exitCode = await _cli.WithEnvironment("PATH", emptyPath).RunAsync("build", language, project, "-t", "filter:v1", "--store", _store);

        Assert.Equal(ExitCodes.ToolchainFailure, exitCode);
        Assert.Contains(expected, _cli.Error.Output, StringComparison.Ordinal);
        await AssertStoreEmptyAsync();
    }

    [Fact]
    public async Task Build_of_a_directory_without_runtime_config_says_how_to_fix_it()
    {
        var project = _temp.Combine("empty-project");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "package.json"), "{}");

        var exitCode = await _cli.RunAsync("build", "assemblyscript", project, "-t", "filter:v1", "--store", _store);

        // Not found (3), as a missing --config file and every other missing input file.
        Assert.Equal(ExitCodes.NotFound, exitCode);
        Assert.Contains("runtime-config.json does not exist; pass --config FILE", _cli.Error.Output, StringComparison.Ordinal);
    }

    private async Task<(string File, string Config)> WriteInputsAsync(byte[] module, string config)
    {
        var file = _temp.Combine("filter.wasm");
        var configPath = _temp.Combine("runtime-config.json");
        await File.WriteAllBytesAsync(file, module);
        await File.WriteAllTextAsync(configPath, config);
        return (file, configPath);
    }

    private async Task AssertStoreEmptyAsync()
    {
        if (Directory.Exists(_store))
        {
            Assert.Empty(await new LocalImageStore(_store).ListAsync());
        }
    }
}
