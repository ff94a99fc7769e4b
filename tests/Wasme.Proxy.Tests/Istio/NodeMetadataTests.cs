using Wasme.Proxy.Istio;

namespace Wasme.Proxy.Tests.Istio;

/// <summary>An Istio resource implies the node metadata of the sidecars it applies to (issue 16, point 8).</summary>
public sealed class NodeMetadataTests
{
    [Fact]
    public void A_wasm_plugin_gives_its_namespace_and_selected_labels_as_node_metadata()
    {
        const string yaml = """
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {name: auth, namespace: shop}
            spec:
              selector:
                matchLabels: {app: reviews, version: v2}
              url: file:///filters/auth.wasm
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "plugin.yaml"));

        Assert.Equal("shop", filter.NodeProperties["metadata.NAMESPACE"]);
        Assert.Equal("reviews", filter.NodeProperties["metadata.LABELS.app"]);
        Assert.Equal("v2", filter.NodeProperties["metadata.LABELS.version"]);
    }

    [Fact]
    public void An_envoy_filter_gives_its_namespace_and_workload_selector_labels_as_node_metadata()
    {
        const string yaml = """
            kind: EnvoyFilter
            metadata: {name: f, namespace: payments}
            spec:
              workloadSelector:
                labels: {app: ledger}
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
                          code:
                            local:
                              filename: /filters/ledger.wasm
            """;

        var filter = Assert.Single(IstioResourceReader.Read(yaml, "filter.yaml"));

        Assert.Equal("payments", filter.NodeProperties["metadata.NAMESPACE"]);
        Assert.Equal("ledger", filter.NodeProperties["metadata.LABELS.app"]);
    }
}
