using Wasme.Build.Toolchains;
using Wasme.Build.Validation;
using Wasme.Oci.Wasm;
using Wasme.Testing.Filters;

namespace Wasme.Build.Tests.Filters;

/// <summary>The shared fixture builds real filters with the real AssemblyScript SDK.</summary>
public sealed class AssemblyScriptFiltersTests(AssemblyScriptFilters filters) : IClassFixture<AssemblyScriptFilters>
{
    [Fact]
    public async Task Template_filter_builds_into_a_module_with_the_0_2_0_marker_and_its_root_id()
    {
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);

        var module = WasmModule.Parse(filter.Module);
        Assert.Equal([ProxyWasmAbiVersion.V0_2_0], ProxyWasmAbi.DetectVersions(module));
        Assert.True(module.DataContainsString("add_header"));
        Assert.Equal(["add_header"], filter.Config.RootIds);
        Assert.Equal(filter.Module, await File.ReadAllBytesAsync(filter.ModulePath));
    }

    [Fact]
    public async Task Custom_source_with_its_own_root_id_builds_and_keeps_the_sdk_imports()
    {
        var source = AssemblyScriptFilters.AddHeaderSource
            .Replace("\"add_header\");", "\"deny_all\");", StringComparison.Ordinal);

        var filter = await filters.BuildAsync(source, ["deny_all"]);

        var module = WasmModule.Parse(filter.Module);
        Assert.True(module.DataContainsString("deny_all"));
        Assert.Contains(module.Imports, i => i.Module == "env" && i.Name == "proxy_add_header_map_value");
        Assert.Equal(["deny_all"], filter.Config.RootIds);
    }

    [Fact]
    public async Task Root_id_the_source_does_not_register_is_a_validation_warning_not_an_error()
    {
        // Root ids are not reliably visible in a module's data, so their absence only warns.
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);

        var validated = ModuleValidator.Validate(filter.Module, filter.Config with { Config = new() { RootIds = ["not_registered_anywhere", ""] } }, "add_header.wasm");

        Assert.Equal(["not_registered_anywhere", ""], validated.Config.RootIds);
        var warning = Assert.Single(validated.Warnings);
        Assert.Contains("root id 'not_registered_anywhere' does not appear", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Source_that_does_not_compile_fails_with_the_compiler_output()
    {
        var error = await Assert.ThrowsAsync<ToolchainFailedException>(
            () => filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource + "\nlet broken: i32 = \"text\";\n"));

        Assert.Contains("npm run asbuild", error.Message, StringComparison.Ordinal);
        Assert.Contains(error.Output, line => line.Contains("TS2322", StringComparison.Ordinal) || line.Contains("ERROR", StringComparison.Ordinal));
    }
}
