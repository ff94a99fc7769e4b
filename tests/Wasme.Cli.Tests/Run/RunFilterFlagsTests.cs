using Wasme.Testing.Filters;

namespace Wasme.Cli.Tests.Run;

/// <summary>Flags that configure the filters given as arguments are refused when there are none, instead of doing nothing.</summary>
public sealed class RunFilterFlagsTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-cli-filter-flags-");

    [Fact]
    public async Task Config_beside_only_an_envoy_filter_is_a_usage_error_pointing_at_the_resource()
    {
        var module = Path.Combine(_directory.FullName, "pass.wasm");
        await File.WriteAllBytesAsync(module, Wasmtime.Module.ConvertText(new Wat().Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
            """)).ToArray());
        var plugin = Path.Combine(_directory.FullName, "plugin.yaml");
        await File.WriteAllTextAsync(plugin, $"""
            kind: WasmPlugin
            metadata: {"{"}name: p, namespace: ns{"}"}
            spec:
              url: file://{module}
              pluginConfig: {"{"}greeting: from-the-resource{"}"}
            """);

        await using var wasme = await RunningWasme.StartAsync("--envoy-filter", plugin, "--config", "ignored?", "--fail-policy", "fail-open", "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("--config, --fail-policy configure the filters given as arguments (IMAGE_OR_FILE), and none is given", wasme.Error.Output, StringComparison.Ordinal);
        Assert.Contains("an --envoy-filter resource carries its own", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--root-id", "add_header")]
    [InlineData("--vm-config", "settings")]
    [InlineData("--id", "mine")]
    public async Task A_filter_flag_without_any_filter_is_a_usage_error_naming_it(string flag, string value)
    {
        await using var wasme = await RunningWasme.StartAsync(flag, value, "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains($"{flag} configures the filters given as arguments", wasme.Error.Output, StringComparison.Ordinal);
        Assert.Contains($"wasme run filter.wasm {flag}", wasme.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
