using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Admission;

/// <summary>
/// The stand-in for istiod's validating webhook (validation.istio.io): WasmPlugins and EnvoyFilters that Istio's CRD
/// schemas accept but istiod's own validation refuses, with istiod's reasons behind kube-apiserver's webhook wording.
/// </summary>
public sealed class IstioValidationWebhookTests : IAsyncLifetime
{
    private const string Denied = "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: ";
    private const string Sha = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";
    private const string EnvoyFilterWarning = "EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.";

    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        await _server.InstallIstioCrdsAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string WasmPlugin(string spec) => $"""
        apiVersion: extensions.istio.io/v1alpha1
        kind: WasmPlugin
        metadata: {"{"}name: wp, namespace: default{"}"}
        spec:
          {Indent(spec, 2)}
        """;

    private static string EnvoyFilter(string spec) => $"""
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {"{"}name: ef, namespace: default{"}"}
        spec:
          {Indent(spec, 2)}
        """;

    private static string Indent(string yaml, int spaces) =>
        string.Join('\n', yaml.Split('\n').Select((line, i) => i == 0 ? line : new string(' ', spaces) + line));

    private const string GoodWasm = $"""
        selector: {"{"}matchLabels: {"{"}app: web{"}"}{"}"}
        url: oci://registry.example.com/team/f@sha256:{Sha}
        sha256: {Sha}
        """;

    private const string WasmFilterValue = $$"""
        name: envoy.filters.http.wasm
        typed_config:
          '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
          config:
            name: f
            root_id: r
            configuration: {'@type': type.googleapis.com/google.protobuf.StringValue, value: hi}
            vm_config:
              vm_id: f
              runtime: envoy.wasm.runtime.v8
              code:
                local:
                  filename: /var/local/lib/wasme-cache/{{Sha}}
        """;

    private static string HttpFilterPatch(string value, string match = "{context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}") => $"""
        workloadSelector: {"{"}labels: {"{"}app: web{"}"}{"}"}
        configPatches:
        - applyTo: HTTP_FILTER
          match: {match}
          patch:
            operation: INSERT_BEFORE
            value:
              {Indent(value, 6)}
        """;

    private ApiException Refused(string yaml) => Assert.Throws<ApiException>(() => _server.ApplyYaml(yaml));

    [Fact]
    public void A_well_formed_WasmPlugin_and_EnvoyFilter_are_admitted()
    {
        _server.ApplyYaml(WasmPlugin(GoodWasm));
        _server.ApplyYaml(EnvoyFilter(HttpFilterPatch(WasmFilterValue)));
    }

    // Rules only istiod's webhook enforces: Istio's current CRD schemas do not restate them.
    public static TheoryData<string, string> WasmPluginViolations() => new()
    {
        { "url: oci://r.example.com/f\ntargetRefs: [{kind: Deployment, group: apps, name: web}]", "targetRef must be to one of [core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was apps/Deployment" },
        { "url: oci://r.example.com/f\nvmConfig: {env: [{name: A, value: x}, {name: A, value: y}]}", "duplicate env" },
    };

    // Rules the current CRDs restate in CEL and schema, so the webhook meets them only behind CRDs without those rules,
    // as Istio's were before they grew CEL rules.
    public static TheoryData<string, string> WasmPluginViolationsBehindOlderCrds() => new()
    {
        { "selector: {matchLabels: {app: web}}", "url field needs to be set" },
        { "url: ftp://example.com/f.wasm", "url contains unsupported scheme: ftp" },
        { "url: oci://r.example.com/f\nsha256: abc", "sha256 field must be 64 characters long" },
        { $"url: oci://r.example.com/f\nsha256: {Sha.ToUpperInvariant()}", "sha256 field must match [a-f0-9]{64} pattern" },
        { "url: oci://r.example.com/f\nselector: {matchLabels: {app: 'web*'}}", "wildcard is not supported in selector: \"app=web*\"" },
        { "url: oci://r.example.com/f\nselector: {matchLabels: {app: web}}\ntargetRefs: [{kind: Service, group: '', name: web}]", "only one of targetRefs or workloadSelector can be set" },
        { "url: oci://r.example.com/f\nvmConfig: {env: [{name: POD_NAME, valueFrom: HOST, value: x}]}", "value may only be set when valueFrom is INLINE" },
        { "url: oci://r.example.com/f\nmatch: [{mode: SERVER, ports: [{number: 70000}]}]", "spec.Match[0].Ports[0] is out of range: 70000" },
        { "url: oci://r.example.com/f\ntargetRef: {kind: Service, group: '', name: ''}", "targetRef name must be set" },
        { "url: oci://r.example.com/f\nvmConfig: {env: [{name: ''}]}", "spec.vmConfig.env invalid" },
        { "url: oci://r.example.com/f\nimagePullSecret: " + new string('s', 254), "imagePullSecret field must be less than 253 characters long" },
    };

    private const string SchemalessWasmPluginCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: wasmplugins.extensions.istio.io}
        spec:
          group: extensions.istio.io
          names: {kind: WasmPlugin, plural: wasmplugins, singular: wasmplugin, listKind: WasmPluginList}
          scope: Namespaced
          versions:
          - name: v1alpha1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """;

    [Theory]
    [MemberData(nameof(WasmPluginViolations))]
    public void A_WasmPlugin_istiod_refuses_is_refused_with_its_reason(string spec, string reason)
    {
        var refusal = Refused(WasmPlugin(spec));

        Assert.Equal(400, refusal.Code);
        Assert.Equal(Denied + reason, refusal.Message);
    }

    [Theory]
    [MemberData(nameof(WasmPluginViolationsBehindOlderCrds))]
    public async Task Behind_CRDs_without_the_rules_istiod_still_refuses(string spec, string reason)
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var crds = Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "crds.yaml");
        await File.WriteAllTextAsync(crds, SchemalessWasmPluginCrd);
        await server.InstallIstioCrdsAsync(crds);

        var refusal = Assert.Throws<ApiException>(() => server.ApplyYaml(WasmPlugin(spec)));

        Assert.Equal(Denied + reason, refusal.Message);
    }

    [Fact]
    public void Several_problems_are_listed_as_istiod_joins_them()
    {
        var refusal = Refused(WasmPlugin("url: oci://r.example.com/f\ntargetRefs: [{kind: Deployment, group: apps, name: a}, {kind: Pod, group: '', name: b}]"));

        Assert.Equal(Denied + "2 errors occurred:\n\t* targetRef must be to one of [core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was apps/Deployment\n\t* targetRef must be to one of [core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was /Pod\n\n", refusal.Message);
    }

    public static TheoryData<string, string> EnvoyFilterViolations() => new()
    {
        { "configPatches: [{patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: missing applyTo" },
        { "configPatches: [{applyTo: CLUSTER}]", "Envoy filter: missing patch" },
        { "configPatches: [{applyTo: CLUSTER, patch: {value: {name: x}}}]", "Envoy filter: missing patch operation" },
        { "configPatches: [{applyTo: CLUSTER, patch: {operation: ADD}}]", "Envoy filter: missing patch value for non-remove operation" },
        { "workloadSelector: {labels: {'': web}}\nconfigPatches: []", "empty key is not supported in selector: \"=web\"" },
        { "configPatches: [{applyTo: HTTP_FILTER, match: {cluster: {name: c}}, patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: applyTo for listener class objects cannot have non listener match" },
        { "configPatches: [{applyTo: CLUSTER, match: {listener: {portNumber: 80}}, patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: applyTo for cluster class objects cannot have non cluster match" },
        { "configPatches: [{applyTo: HTTP_ROUTE, match: {cluster: {name: c}}, patch: {operation: MERGE, value: {name: x}}}]", "Envoy filter: applyTo for http route class objects cannot have non route configuration match" },
        { "configPatches: [{applyTo: HTTP_FILTER, match: {listener: {filterChain: {filter: {subFilter: {name: r}}}}}, patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: filter match has no name to match on" },
        { "configPatches: [{applyTo: NETWORK_FILTER, match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: r}}}}}, patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only" },
        { "configPatches: [{applyTo: HTTP_FILTER, match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: r}}}}}, patch: {operation: ADD, value: {name: x}}}]", "Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager" },
        { "configPatches: [{applyTo: HTTP_FILTER, patch: {operation: ADD, value: {name: x, typed_config: {'@type': type.googleapis.com/envoy.config.filter.http.wasm.v2.Wasm}}}}]", "referenced type unknown (hint: try using the v3 XDS API): Envoy filter: could not resolve Any message type: type.googleapis.com/envoy.config.filter.http.wasm.v2.Wasm" },
    };

    [Theory]
    [MemberData(nameof(EnvoyFilterViolations))]
    public void An_EnvoyFilter_istiod_refuses_is_refused_with_its_reason(string spec, string reason)
    {
        var refusal = Refused(EnvoyFilter(spec));

        Assert.Equal(Denied + reason, refusal.Message);
    }

    [Fact]
    // istiod answers with a message only, and kube-apiserver's webhook error (ToStatusErr) adds code 400 but no reason,
    // so kubectl prints no "(Reason)" after "Error from server".
    public async Task Kubectl_apply_prints_the_webhook_denial_as_a_real_cluster_does()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("wp.yaml", WasmPlugin("url: oci://r.example.com/f\nvmConfig: {env: [{name: A}, {name: A}]}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"Error from server: error when creating \"{Path.Combine(_kubectl.WorkDirectory, "wp.yaml")}\": {Denied}duplicate env",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Kubectl_apply_of_an_update_istiod_refuses_keeps_the_stored_object()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("ef.yaml", EnvoyFilter(HttpFilterPatch(WasmFilterValue))));

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("ef.yaml", EnvoyFilter("configPatches: [{applyTo: CLUSTER, patch: {operation: ADD}}]")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Denied}Envoy filter: missing patch value for non-remove operation", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("HTTP_FILTER", _server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", "default", "ef")!["spec"]!["configPatches"]![0]!["applyTo"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kubectl_prints_istiod_warnings_for_an_admitted_EnvoyFilter()
    {
        var value = WasmFilterValue.Replace("    root_id: r", "    root_id: r\n    rootid_typo: r", StringComparison.Ordinal);
        var match = "{context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}";

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("ef.yaml", EnvoyFilter(HttpFilterPatch(value, match))));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"Warning: {EnvoyFilterWarning}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Warning: using deprecated filter name \"envoy.http_connection_manager\"; use \"envoy.filters.network.http_connection_manager\" instead", result.Stderr, StringComparison.Ordinal);
        Assert.True(result.Stderr.Contains("Warning: Envoy filter: unknown field \"rootid_typo\" in envoy.extensions.wasm.v3.PluginConfig", StringComparison.Ordinal), result.Stderr);
        Assert.Contains("Warning: Envoy filter: unknown field \"rootid_typo\" in envoy.extensions.wasm.v3.PluginConfig", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Turned_off_only_the_CRD_schema_judges()
    {
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { IstioValidationWebhook = false });
        await server.InstallIstioCrdsAsync();

        server.ApplyYaml(WasmPlugin("url: oci://r.example.com/f\nvmConfig: {env: [{name: A}, {name: A}]}"));
    }

    [Fact]
    public void Deletes_are_not_sent_to_the_webhook()
    {
        _server.ApplyYaml(WasmPlugin(GoodWasm));
        using var client = _server.CreateClient();

        var deleted = k8s.CustomObjectsOperationsExtensions.DeleteNamespacedCustomObject(client.CustomObjects, "extensions.istio.io", "v1alpha1", "default", "wasmplugins", "wp");

        Assert.NotNull(deleted);
    }
}
