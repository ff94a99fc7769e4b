using Wasme.Proxy.Istio;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Istio;

/// <summary>Malformed or hostile EnvoyFilter/WasmPlugin files: each is one message naming the field, never a crash.</summary>
public sealed class HostileResourceReaderTests
{
    private static string EnvoyFilter(string config) => $$$"""
        kind: EnvoyFilter
        metadata: {name: f, namespace: ns}
        spec:
          configPatches:
          - patch:
              value:
                name: envoy.filters.http.wasm
                typed_config:
                  '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                  config:
                    vm_config:
                      code: {local: {filename: /m.wasm}}
        {{{config}}}
        """;

    private static string WasmPlugin(string spec) => $"""
        kind: WasmPlugin
        metadata: {"{"}name: p, namespace: ns{"}"}
        spec:
          url: file:///m.wasm
        {spec}
        """;

    [Fact]
    public void An_environment_variable_whose_key_is_a_list_is_refused_naming_the_field()
    {
        var yaml = EnvoyFilter("""
                          environment_variables:
                            key_values:
                              ? [a, b]
                              : c
            """);

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "env.yaml"));

        Assert.Contains("env.yaml: EnvoyFilter ns/f configPatches[0]: vm_config.environment_variables.key_values: the key at line", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a list; keys must be plain strings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_config_whose_key_is_a_mapping_is_refused_naming_the_field()
    {
        var yaml = WasmPlugin("""
              pluginConfig:
                ? {a: b}
                : c
            """);

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "p.yaml"));

        Assert.Contains("p.yaml: WasmPlugin ns/p: spec.pluginConfig: the key at line", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wasm_plugin_url_that_does_not_parse_is_refused_naming_spec_url()
    {
        var yaml = """
            kind: WasmPlugin
            metadata: {name: p, namespace: ns}
            spec:
              url: "http://[bad"
            """;

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "p.yaml"));

        Assert.Contains("p.yaml: WasmPlugin ns/p: spec.url 'http://[bad' is not a valid URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_config_of_nested_aliases_is_refused_instead_of_expanding_to_gigabytes()
    {
        // Ten aliases per level, eleven levels: 10^12 strings once expanded.
        var lines = new List<string> { "  pluginConfig:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 12; i++)
        {
            lines.Add($"    a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(WasmPlugin(string.Join('\n', lines)), "bomb.yaml"));

        Assert.Contains("bomb.yaml: not valid YAML at line 11", error.Message, StringComparison.Ordinal);
        Assert.Contains("aliases (*name) expand to more than a million values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_config_that_holds_itself_through_an_alias_is_refused_instead_of_crashing()
    {
        // `wasme run --envoy-filter` on this printed "unexpected failure, please report it as a bug" and a stack trace.
        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(WasmPlugin("  pluginConfig: &c {a: *c}"), "loop.yaml"));

        Assert.Contains("loop.yaml: not valid YAML at line 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("the alias *c sits inside the value &c it names", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_within_the_bound_still_expand_as_yaml_says()
    {
        var yaml = WasmPlugin("""
              pluginConfig:
                base: &base {region: eu}
                copy: *base
            """);

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "p.yaml"));

        Assert.Equal("""{"base":{"region":"eu"},"copy":{"region":"eu"}}""", filter.Configuration);
    }

    [Theory]
    [InlineData("failStrategy: FAIL_OPNE", "spec.failStrategy 'FAIL_OPNE' is not FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD")]
    [InlineData("failStrategy: FAIL_CLOSED", "spec.failStrategy 'FAIL_CLOSED' is not FAIL_CLOSE")]
    public void A_wasm_plugin_fail_strategy_istio_does_not_know_is_refused(string line, string message)
    {
        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(WasmPlugin("  " + line), "p.yaml"));

        Assert.Contains("p.yaml: WasmPlugin ns/p: " + message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("failure_policy: FAIL_OPN", "failure_policy 'FAIL_OPN' is not FAIL_CLOSED, FAIL_OPEN, FAIL_RELOAD or UNSPECIFIED")]
    [InlineData("fail_open: yes please", "fail_open 'yes please' is not true or false")]
    public void An_envoy_filter_failure_policy_envoy_does_not_know_is_refused(string line, string message)
    {
        var yaml = EnvoyFilter("            " + line);

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "f.yaml"));

        Assert.Contains("f.yaml: EnvoyFilter ns/f configPatches[0]: " + message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("failure_policy: UNSPECIFIED\n            fail_open: true", FailurePolicy.FailOpen)]
    [InlineData("failure_policy: FAIL_CLOSED\n            fail_open: true", FailurePolicy.FailClosed)]
    [InlineData("failure_policy: FAIL_RELOAD", FailurePolicy.Reload)]
    [InlineData("fail_open: True", FailurePolicy.FailOpen)]
    public void An_unspecified_failure_policy_falls_back_to_fail_open_as_envoy_does(string lines, FailurePolicy expected)
    {
        var filter = Assert.Single(IstioResourceReader.Read(EnvoyFilter("            " + lines), "f.yaml"));

        Assert.Equal(expected, filter.FailurePolicy);
    }
}
