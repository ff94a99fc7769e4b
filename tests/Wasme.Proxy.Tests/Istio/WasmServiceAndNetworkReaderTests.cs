using Wasme.Proxy.Istio;

namespace Wasme.Proxy.Tests.Istio;

/// <summary>EnvoyFilter patches for a bootstrap Wasm service and a network Wasm filter are read as such (issue 16 points 4, 5).</summary>
public sealed class WasmServiceAndNetworkReaderTests
{
    [Fact]
    public void A_bootstrap_patch_with_a_singleton_wasm_service_is_read_as_a_service()
    {
        var filters = IstioResourceReader.Read("""
            kind: EnvoyFilter
            metadata: {name: collector, namespace: shop}
            spec:
              configPatches:
              - applyTo: BOOTSTRAP
                patch:
                  operation: MERGE
                  value:
                    bootstrap_extensions:
                    - name: envoy.bootstrap.wasm
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.wasm.v3.WasmService
                        singleton: true
                        config:
                          name: collector
                          root_id: collector_root
                          configuration: {"@type": type.googleapis.com/google.protobuf.StringValue, value: "flush=10s"}
                          vm_config:
                            vm_id: collector
                            code: {local: {filename: /etc/wasm/collector.wasm}}
            """, "collector.yaml");

        var service = Assert.Single(filters);
        Assert.Equal(WasmFilterKind.Service, service.Kind);
        Assert.True(service.Singleton);
        Assert.Equal("collector_root", service.RootId);
        Assert.Equal("collector", service.VmId);
        Assert.Equal("flush=10s", service.Configuration);
        Assert.Equal(new LocalWasmCode("/etc/wasm/collector.wasm"), service.Code);
    }

    [Fact]
    public void A_network_filter_patch_and_a_network_wasm_plugin_are_read_as_network_filters()
    {
        var filters = IstioResourceReader.Read("""
            kind: EnvoyFilter
            metadata: {name: tcp, namespace: shop}
            spec:
              configPatches:
              - applyTo: NETWORK_FILTER
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.filters.network.wasm
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
                      config:
                        name: lines
                        vm_config: {code: {local: {filename: /etc/wasm/lines.wasm}}}
            ---
            kind: WasmPlugin
            metadata: {name: tcp-stats, namespace: shop}
            spec:
              url: file:///etc/wasm/stats.wasm
              type: NETWORK
            """, "tcp.yaml");

        Assert.Equal([WasmFilterKind.Network, WasmFilterKind.Network], filters.Select(f => f.Kind));
        Assert.Equal(["lines", "shop.tcp-stats"], filters.Select(f => f.Name));
    }
}
