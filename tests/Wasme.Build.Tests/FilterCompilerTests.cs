using Wasme.Build.Toolchains;
using Wasme.Build.Validation;
using Wasme.Oci.Errors;
using Wasme.Testing.Filters;

namespace Wasme.Build.Tests;

/// <summary><c>wasme build precompiled</c>'s inputs: whatever path a user (or a script) passes must end in a clear refusal.</summary>
public sealed class FilterCompilerTests : IDisposable
{
    private const string RuntimeConfig = """{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header"]}}""";
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("wasme-compiler-tests-");
    private readonly FilterCompiler _compiler = new([], new FilterBuildOptions { MaxModuleBytes = 1024 * 1024 });

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task A_module_that_never_ends_is_refused_at_the_size_limit_instead_of_exhausting_memory()
    {
        var config = await WriteAsync("runtime-config.json", RuntimeConfig);

        // /dev/zero reports a length of 0, as pipes and process substitution do.
        var error = await Assert.ThrowsAsync<ModuleValidationException>(() => _compiler.LoadPrecompiledAsync("/dev/zero", config, CancellationToken.None));

        Assert.Contains("over the module size limit of 1048576 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runtime_config_that_never_ends_is_refused_at_its_size_limit()
    {
        var module = await WriteAsync("filter.wasm", WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header"));

        var error = await Assert.ThrowsAsync<OciUsageException>(() => _compiler.LoadPrecompiledAsync(module, "/dev/zero", CancellationToken.None));

        Assert.Contains("a runtime config is at most 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_module_is_not_found_and_a_directory_is_named_as_one()
    {
        var config = await WriteAsync("runtime-config.json", RuntimeConfig);

        var missing = await Assert.ThrowsAsync<OciNotFoundException>(
            () => _compiler.LoadPrecompiledAsync(Path.Combine(_temp.FullName, "nope.wasm"), config, CancellationToken.None));
        var directory = await Assert.ThrowsAsync<OciUsageException>(() => _compiler.LoadPrecompiledAsync(_temp.FullName, config, CancellationToken.None));

        Assert.Contains("nope.wasm does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory; pass the .wasm file", directory.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FilterLanguage.Rust, "package.json", "has no Cargo.toml, so it is not a rust project; it has a package.json: build it with `wasme build assemblyscript ")]
    [InlineData(FilterLanguage.AssemblyScript, "Cargo.toml", "has no package.json, so it is not an assemblyscript project; it has a Cargo.toml: build it with `wasme build rust ")]
    [InlineData(FilterLanguage.TinyGo, "runtime-config.json", "has no go.mod, so it is not a tinygo project; create one with `wasme init ")]
    public async Task A_project_of_another_language_is_a_usage_error_naming_the_build_that_fits(FilterLanguage language, string present, string expected)
    {
        await WriteAsync("runtime-config.json", RuntimeConfig);
        await WriteAsync(present, present == "runtime-config.json" ? RuntimeConfig : "{}");
        var runner = new Toolchains.ScriptedToolRunner("npm", "cargo", "tinygo", "go", "make", "em++");
        var compiler = FilterCompiler.CreateDefault(runner, _ => null);

        var error = await Assert.ThrowsAsync<OciUsageException>(() => compiler.CompileAsync(
            new FilterCompileRequest { Language = language, ProjectDirectory = _temp.FullName }, CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Commands);
    }

    [Fact]
    public async Task A_file_given_as_the_project_directory_is_named_as_a_file()
    {
        var file = await WriteAsync("package.json", "{}");
        var compiler = FilterCompiler.CreateDefault(new Toolchains.ScriptedToolRunner("npm"), _ => null);

        var error = await Assert.ThrowsAsync<OciUsageException>(() => compiler.CompileAsync(
            new FilterCompileRequest { Language = FilterLanguage.AssemblyScript, ProjectDirectory = file }, CancellationToken.None));

        Assert.Contains($"{file} is a file, not a project directory; pass the directory that holds the project, e.g. {_temp.FullName}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_build_removes_the_scratch_directory_a_killed_build_left_and_keeps_one_still_in_use()
    {
        await WriteAsync("runtime-config.json", RuntimeConfig);
        await WriteAsync("go.mod", "module example.com/filter\n");
        // What a SIGKILL during a build leaves in the temp directory: its scratch directory, named after its process
        // (no process has this id: Linux caps ids at 2^22); and one of a build running now, in this process.
        var abandoned = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"wasme-build-{int.MaxValue}-{Guid.NewGuid():N}"));
        await File.WriteAllBytesAsync(Path.Combine(abandoned.FullName, "filter.wasm"), new byte[4096]);
        var running = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"wasme-build-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        var toolchain = new ScratchToolchain();
        try
        {
            var compiled = await new FilterCompiler([toolchain]).CompileAsync(
                new FilterCompileRequest { Language = FilterLanguage.TinyGo, ProjectDirectory = _temp.FullName }, CancellationToken.None);

            Assert.Equal("add_header", Assert.Single(compiled.Config.RootIds));
            Assert.False(Directory.Exists(abandoned.FullName), "the killed build's scratch directory is still there");
            Assert.True(Directory.Exists(running.FullName));
            Assert.False(Directory.Exists(toolchain.Scratch), "this build's own scratch directory outlived it");
        }
        finally
        {
            running.Delete(recursive: true);
            if (Directory.Exists(abandoned.FullName))
            {
                abandoned.Delete(recursive: true);
            }
        }
    }

    private async Task<string> WriteAsync(string name, string text) => await WriteAsync(name, System.Text.Encoding.UTF8.GetBytes(text));

    private async Task<string> WriteAsync(string name, byte[] content)
    {
        var path = Path.Combine(_temp.FullName, name);
        await File.WriteAllBytesAsync(path, content);
        return path;
    }

    /// <summary>Writes the module into the build's scratch directory, as the TinyGo toolchain does.</summary>
    private sealed class ScratchToolchain : IFilterToolchain
    {
        public string? Scratch { get; private set; }

        public FilterLanguage Language => FilterLanguage.TinyGo;

        public async Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken)
        {
            Scratch = request.ScratchDirectory;
            var module = Path.Combine(request.ScratchDirectory, "filter.wasm");
            await File.WriteAllBytesAsync(module, WasmModuleBuilder.ProxyWasmModule("proxy_abi_version_0_2_1", "add_header"), cancellationToken);
            return module;
        }
    }
}
