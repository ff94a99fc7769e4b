using Wasme.Testing.Filters;

namespace Wasme.Cli.Tests.Run;

/// <summary>Files named by --envoy-filter and --config-file: a directory, a missing file or an endless device is one line.</summary>
public sealed class RunInputFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-cli-input-");

    [Fact]
    public async Task An_envoy_filter_that_is_a_directory_says_so_instead_of_does_not_exist()
    {
        await using var wasme = await RunningWasme.StartAsync("--envoy-filter", _directory.FullName, "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains($"--envoy-filter: {_directory.FullName} is a directory; pass the file itself", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_envoy_filter_file_exits_not_found_as_a_missing_module_does()
    {
        var missing = Path.Combine(_directory.FullName, "missing.yaml");

        await using var wasme = await RunningWasme.StartAsync("--envoy-filter", missing, "--echo-upstream");

        Assert.Equal(ExitCodes.NotFound, wasme.ExitCode);
        Assert.Contains($"--envoy-filter: {missing} does not exist", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webassembly_text_module_runs_as_wasme_test_runs_it()
    {
        // wasme test takes .wat files; run refused the same file as "not a WebAssembly module".
        var wat = new Wat();
        var module = Path.Combine(_directory.FullName, "add-header.wat");
        await File.WriteAllTextAsync(module, wat.Module($"""
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 2) {wat.Str("x-from-wat")} {wat.Str("yes")}))
              (i32.const 0))
            """));

        await using var wasme = await RunningWasme.StartAsync(module, "--echo-upstream");
        using var response = await wasme.Client.GetAsync(new Uri("/", UriKind.Relative));

        Assert.True(wasme.ExitCode is null, wasme.Error.Output);
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("x-from-wat")));
    }

    [Fact]
    public async Task Webassembly_text_that_does_not_compile_is_a_usage_error_naming_the_file()
    {
        var module = Path.Combine(_directory.FullName, "broken.wat");
        await File.WriteAllTextAsync(module, "(module (func (export \"f\") (i32.bogus)))");

        await using var wasme = await RunningWasme.StartAsync(module, "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains($"{module} is not valid WebAssembly text at line 1, column 29", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_that_never_ends_is_refused_at_the_bound()
    {
        var module = Path.Combine(_directory.FullName, "pass.wasm");
        await File.WriteAllBytesAsync(module, Wasmtime.Module.ConvertText(new Wat().Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
            """)).ToArray());

        await using var wasme = await RunningWasme.StartAsync(module, "--config-file", "/dev/zero", "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("--config-file: /dev/zero is larger than 16 MiB", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_file_that_never_ends_is_refused_at_the_module_bound()
    {
        // /dev/zero passed the length check (it reports 0) and was then read whole, until out of memory.
        await using var wasme = await RunningWasme.StartAsync("/dev/zero", "--echo-upstream");

        Assert.Equal(ExitCodes.IntegrityFailure, wasme.ExitCode);
        Assert.Contains("/dev/zero is larger than the 268435456-byte module limit; pass the module file itself", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runtime_config_beside_the_module_that_never_ends_is_refused_at_its_bound()
    {
        // The root ids of a module built by wasme build come from the runtime-config.json beside it; that file was read whole.
        var module = Path.Combine(_directory.FullName, "pass.wasm");
        await File.WriteAllBytesAsync(module, Wasmtime.Module.ConvertText(new Wat().Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
            """)).ToArray());
        File.CreateSymbolicLink(Path.Combine(_directory.FullName, "runtime-config.json"), "/dev/zero");

        await using var wasme = await RunningWasme.StartAsync(module, "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains($"runtime config {Path.Combine(_directory.FullName, "runtime-config.json")} is over", wasme.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
