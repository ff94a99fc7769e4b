using Wasme.Proxy.Istio;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Istio;

public sealed class IstioResourceReaderTests
{
    private const string Sha = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";

    [Fact]
    public void Reads_the_seeds_v2_envoy_filter()
    {
        var yaml = $"""
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {"{"}name: details-v1-myfilter, namespace: bookinfo{"}"}
            spec:
              configPatches:
              - applyTo: HTTP_FILTER
                patch:
                  operation: INSERT_BEFORE
                  value:
                    config:
                      config:
                        configuration: tomorrow
                        name: myfilter
                        rootId: add_header
                        vmConfig:
                          code:
                            local:
                              filename: /var/local/lib/wasme-cache/{Sha}
                          runtime: envoy.wasm.runtime.v8
                          vmId: myfilter
                    name: envoy.filters.http.wasm
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "seed.yaml"));

        Assert.Equal("myfilter", filter.Name);
        Assert.Equal("add_header", filter.RootId);
        Assert.Equal("myfilter", filter.VmId);
        Assert.Equal("tomorrow", filter.Configuration);
        Assert.Equal(new LocalWasmCode($"/var/local/lib/wasme-cache/{Sha}"), filter.Code);
        Assert.Equal(FailurePolicy.FailClosed, filter.FailurePolicy);
    }

    [Fact]
    public void Reads_the_vm_configuration_and_environment_variables_of_an_envoy_filter()
    {
        var yaml = $"""
            kind: EnvoyFilter
            metadata: {"{"}name: f, namespace: shop{"}"}
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
                        root_id: ""
                        vm_config:
                          configuration:
                            "@type": type.googleapis.com/google.protobuf.StringValue
                            value: vm-settings
                          environment_variables:
                            host_env_keys: [POD_NAME]
                            key_values: {"{"}REGION: eu, TIER: gold{"}"}
                          code: {"{"}local: {"{"}filename: /var/local/lib/wasme-cache/{Sha}{"}"}{"}"}
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "vm.yaml"));

        Assert.Equal("", filter.RootId);
        Assert.Equal("vm-settings", filter.VmConfiguration);
        Assert.Equal(new Dictionary<string, string> { ["REGION"] = "eu", ["TIER"] = "gold" }, filter.Environment);
        Assert.Equal(["POD_NAME"], filter.HostEnvironmentKeys);
    }

    [Fact]
    public void Reads_a_wasm_plugins_vm_env_inline_and_from_the_host()
    {
        var yaml = """
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {name: auth, namespace: shop}
            spec:
              url: file:///filters/auth.wasm
              vmConfig:
                env:
                - {name: REGION, value: eu}
                - {name: TIER, value: gold, valueFrom: INLINE}
                - {name: POD_NAME, valueFrom: HOST}
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "plugin.yaml"));

        Assert.Equal(new Dictionary<string, string> { ["REGION"] = "eu", ["TIER"] = "gold" }, filter.Environment);
        Assert.Equal(["POD_NAME"], filter.HostEnvironmentKeys);
    }

    [Fact]
    public void Reads_a_v3_typed_config_with_remote_code_and_a_string_value_configuration()
    {
        var yaml = $$$"""
            kind: EnvoyFilter
            metadata: {name: p-auth, namespace: shop}
            spec:
              configPatches:
              - applyTo: CLUSTER
                patch: {operation: ADD, value: {name: wasme-cache.auth, type: STRICT_DNS}}
              - applyTo: HTTP_FILTER
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.filters.http.wasm
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: auth
                        root_id: auth_root
                        fail_open: true
                        configuration:
                          '@type': type.googleapis.com/google.protobuf.StringValue
                          value: '{"header":"x-api-key"}'
                        vm_config:
                          vm_id: auth
                          code:
                            remote:
                              http_uri: {uri: 'http://wasme-cache.wasme.svc.cluster.local:9979/sha256/{{{Sha}}}', cluster: wasme-cache.auth, timeout: 10s}
                              sha256: {{{Sha}}}
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "remote.yaml"));

        Assert.Equal("auth_root", filter.RootId);
        Assert.Equal("""{"header":"x-api-key"}""", filter.Configuration);
        Assert.Equal(FailurePolicy.FailOpen, filter.FailurePolicy);
        var remote = Assert.IsType<RemoteWasmCode>(filter.Code);
        Assert.Equal("wasme-cache.auth", remote.Cluster);
        Assert.Equal(Sha, remote.Sha256);
        Assert.Equal(TimeSpan.FromSeconds(10), remote.Timeout);
    }

    [Fact]
    public void Reads_a_wasm_plugin_with_its_plugin_config_as_json()
    {
        var yaml = $"""
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {"{"}name: db-metrics, namespace: data{"}"}
            spec:
              url: oci://registry.example.com:5000/team/db-metrics@sha256:{Sha}
              sha256: {Sha}
              pluginName: db_metrics
              pluginConfig:
                metric_prefix: db_
                limit: 10
                enabled: true
              failStrategy: FAIL_OPEN
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "plugin.yaml"));

        Assert.Equal("data.db-metrics", filter.Name);
        Assert.Equal("db_metrics", filter.RootId);
        Assert.Equal("""{"metric_prefix":"db_","limit":10,"enabled":true}""", filter.Configuration);
        Assert.Equal(new OciWasmCode($"registry.example.com:5000/team/db-metrics@sha256:{Sha}", Sha), filter.Code);
        Assert.Equal(FailurePolicy.FailOpen, filter.FailurePolicy);
    }

    [Fact]
    public void An_empty_plugin_config_reaches_the_filter_as_no_configuration_as_istiod_sends_it()
    {
        // istiod sets PluginConfig.configuration only when pluginConfig has a field, so the filter gets 0 bytes, not "{}".
        var yaml = $"""
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {"{"}name: empty, namespace: data{"}"}
            spec:
              url: oci://registry.example.com:5000/team/db-metrics@sha256:{Sha}
              pluginConfig: {"{}"}
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "plugin.yaml"));

        Assert.Equal(string.Empty, filter.Configuration);
    }

    [Theory]
    [InlineData("{remote: {http_uri: {uri: 'http://cache/x'}}}", "has no sha256")]
    [InlineData("{remote: {http_uri: {uri: 'http://cache/x'}, sha256: abc}}", "is not 64 lower-case hex digits")]
    [InlineData("{remote: {http_uri: {uri: 'ftp://cache/x'}, sha256: " + Sha + "}}", "is not an absolute http(s) URL")]
    [InlineData("{}", "has neither local nor remote")]
    public void Refuses_code_it_cannot_run_safely_and_says_why(string code, string reason)
    {
        var yaml = $$$"""
            kind: EnvoyFilter
            metadata: {name: bad, namespace: ns}
            spec:
              configPatches:
              - patch:
                  value:
                    name: envoy.filters.http.wasm
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config: {name: bad, vm_config: {code: {{{code}}}}}
            """;

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "bad.yaml"));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("EnvoyFilter ns/bad configPatches[0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_wasm_filters_is_an_error()
    {
        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read("kind: ConfigMap\nmetadata: {name: x}\n", "cm.yaml"));

        Assert.Contains("no Wasm filter found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_nested_past_the_limit_is_refused_instead_of_overflowing_the_stack()
    {
        var yaml = "kind: EnvoyFilter\nspec: " + new string('[', 100_000) + new string(']', 100_000) + "\n";

        var error = Assert.Throws<IstioResourceException>(() => IstioResourceReader.Read(yaml, "deep.yaml"));

        Assert.Contains("deep.yaml: not valid YAML at line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("levels deep", error.Message, StringComparison.Ordinal);
    }
}
