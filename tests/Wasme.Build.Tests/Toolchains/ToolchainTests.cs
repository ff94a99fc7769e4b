using Wasme.Build.Templates;
using Wasme.Build.Toolchains;
using Wasme.Testing.Filters;

namespace Wasme.Build.Tests.Toolchains;

/// <summary>
/// The toolchains run the commands their templates document and pick up the module where that
/// command writes it. cargo, tinygo and Emscripten are scripted (they cannot be installed here);
/// AssemblyScript runs for real in the CLI and fixture tests.
/// </summary>
public sealed class ToolchainTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("wasme-toolchain-tests-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task Rust_runs_cargo_for_wasm32_wasip1_and_takes_the_module_named_after_the_crate()
    {
        var project = await InitAsync(FilterLanguage.Rust);
        var runner = new ScriptedToolRunner("cargo") { OnRun = WritesModule(Path.Combine(project, "target", "wasm32-wasip1", "release", "add_header_filter.wasm")) };

        var compiled = await Compiler(runner).CompileAsync(Request(FilterLanguage.Rust, project), CancellationToken.None);

        var command = Assert.Single(runner.Commands);
        Assert.Equal("cargo build --release --target wasm32-wasip1", command.Display);
        Assert.Equal(project, command.WorkingDirectory);
        Assert.Equal(["v0.2.1"], compiled.Config.AbiVersions);
    }

    [Fact]
    public async Task Rust_without_the_wasi_target_says_to_add_it()
    {
        var project = await InitAsync(FilterLanguage.Rust);
        var runner = new ScriptedToolRunner("cargo")
        {
            OnRun = _ => new ToolResult(101, ["error[E0463]: can't find crate for `core`", "  = note: the `wasm32-wasip1` target may not be installed"]),
        };

        var error = await Assert.ThrowsAsync<ToolchainMissingException>(
            () => Compiler(runner).CompileAsync(Request(FilterLanguage.Rust, project), CancellationToken.None));

        Assert.Contains("rustup target add wasm32-wasip1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TinyGo_builds_for_wasi_into_scratch_space_not_the_project()
    {
        var project = await InitAsync(FilterLanguage.TinyGo);
        var runner = new ScriptedToolRunner("tinygo");
        runner.OnRun = command => WritesModule(command.Arguments[2], "proxy_abi_version_0_2_0")(command);

        await Compiler(runner).CompileAsync(Request(FilterLanguage.TinyGo, project), CancellationToken.None);

        var command = Assert.Single(runner.Commands);
        Assert.Equal(["build", "-o", command.Arguments[2], "-scheduler=none", "-target=wasi", "."], command.Arguments);
        Assert.False(command.Arguments[2].StartsWith(project, StringComparison.Ordinal));
        Assert.False(File.Exists(command.Arguments[2]), "scratch output is removed after the build");
    }

    [Fact]
    public async Task Cpp_without_the_sdk_checkout_says_how_to_get_it()
    {
        var project = await InitAsync(FilterLanguage.Cpp);
        var runner = new ScriptedToolRunner("em++", "make");

        var error = await Assert.ThrowsAsync<ToolchainMissingException>(
            () => Compiler(runner, _ => null).CompileAsync(Request(FilterLanguage.Cpp, project), CancellationToken.None));

        Assert.Contains("git clone https://github.com/proxy-wasm/proxy-wasm-cpp-sdk", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Commands);
    }

    [Fact]
    public async Task Cpp_runs_make_with_the_sdk_location()
    {
        var project = await InitAsync(FilterLanguage.Cpp);
        var sdk = Directory.CreateDirectory(Path.Combine(_temp.FullName, "sdk")).FullName;
        await File.WriteAllTextAsync(Path.Combine(sdk, "proxy_wasm_intrinsics.h"), "");
        var runner = new ScriptedToolRunner("em++", "make") { OnRun = WritesModule(Path.Combine(project, "filter.wasm")) };

        await Compiler(runner, name => name == CppToolchain.SdkVariable ? sdk : null).CompileAsync(Request(FilterLanguage.Cpp, project), CancellationToken.None);

        var command = Assert.Single(runner.Commands);
        Assert.Equal("make filter.wasm", command.Display);
        Assert.Equal(sdk, command.Environment[CppToolchain.SdkVariable]);
    }

    [Fact]
    public async Task AssemblyScript_never_passes_off_a_stale_module_as_new_output()
    {
        var project = await InitAsync(FilterLanguage.AssemblyScript);
        var stale = Path.Combine(project, "build", "optimized.wasm");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        await File.WriteAllBytesAsync(stale, WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_0"));
        var runner = new ScriptedToolRunner("npm"); // asbuild "succeeds" without writing anything

        var error = await Assert.ThrowsAsync<ToolchainFailedException>(
            () => Compiler(runner).CompileAsync(Request(FilterLanguage.AssemblyScript, project), CancellationToken.None));

        Assert.Contains("did not write", error.Message, StringComparison.Ordinal);
        Assert.Equal(["npm install --no-audit --no-fund", "npm run asbuild"], runner.Commands.Select(c => c.Display));
    }

    [Fact]
    public async Task Failing_step_carries_its_output_and_stops_the_build()
    {
        var project = await InitAsync(FilterLanguage.AssemblyScript);
        var runner = new ScriptedToolRunner("npm") { OnRun = _ => new ToolResult(1, ["npm ERR! code E404", "npm ERR! 404 Not Found"]) };

        var error = await Assert.ThrowsAsync<ToolchainFailedException>(
            () => Compiler(runner).CompileAsync(Request(FilterLanguage.AssemblyScript, project), CancellationToken.None));

        Assert.Equal("'npm install --no-audit --no-fund' failed with exit code 1", error.Message);
        Assert.Equal(["npm ERR! code E404", "npm ERR! 404 Not Found"], error.Output);
        Assert.Single(runner.Commands);
    }

    [Fact]
    public async Task Exit_127_says_a_program_the_step_starts_is_missing()
    {
        // npm is a node script: with npm on the PATH and node not, the shell answers 127.
        var project = await InitAsync(FilterLanguage.AssemblyScript);
        var runner = new ScriptedToolRunner("npm") { OnRun = _ => new ToolResult(127, ["/usr/bin/env: 'node': No such file or directory"]) };

        var error = await Assert.ThrowsAsync<ToolchainFailedException>(
            () => Compiler(runner).CompileAsync(Request(FilterLanguage.AssemblyScript, project), CancellationToken.None));

        Assert.Equal(
            "'npm install --no-audit --no-fund' failed with exit code 127; a program it starts is not installed or not on the PATH (the output above names it)",
            error.Message);
    }

    private async Task<string> InitAsync(FilterLanguage language)
    {
        var project = Path.Combine(_temp.FullName, FilterLanguages.Name(language));
        await TemplateWriter.WriteAsync(FilterTemplates.For(language), project, overwrite: false, CancellationToken.None);
        return project;
    }

    private static FilterCompiler Compiler(IToolRunner runner, Func<string, string?>? environment = null) =>
        FilterCompiler.CreateDefault(runner, environment ?? (_ => null));

    private static FilterCompileRequest Request(FilterLanguage language, string project) =>
        new() { Language = language, ProjectDirectory = project };

    private static Func<ToolCommand, ToolResult> WritesModule(string path, string marker = "proxy_abi_version_0_2_1") => _ =>
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, WasmModuleBuilder.ProxyWasmModule(marker, "add_header"));
        return new ToolResult(0, []);
    };
}
