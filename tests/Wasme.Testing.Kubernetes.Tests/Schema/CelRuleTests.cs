using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

/// <summary>x-kubernetes-validations rules run on create, update and status writes of custom resources (issue 13).</summary>
public sealed class CelRuleTests : IAsyncLifetime
{
    private const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: ranges.example.com
        spec:
          group: example.com
          names: {kind: Range, plural: ranges, singular: range}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    x-kubernetes-validations:
                    - rule: self.min <= self.max
                      message: min must not exceed max
                    - rule: '!has(self.step) || self.step > 0'
                      messageExpression: '"step " + string(self.step) + " must be positive"'
                      reason: FieldValueForbidden
                      fieldPath: .step
                    - rule: '!has(oldSelf.unit) || has(self.unit)'
                      message: unit cannot be removed once set
                    properties:
                      min: {type: integer}
                      max: {type: integer}
                      step: {type: integer}
                      unit:
                        type: string
                        x-kubernetes-validations:
                        - rule: self == oldSelf
                          message: unit is immutable
                      labels:
                        type: object
                        additionalProperties: {type: string}
                        x-kubernetes-validations:
                        - rule: self.all(k, k.matches('^[a-z]+$'))
                          message: label keys must be lower-case letters
                      created:
                        type: string
                        x-kubernetes-validations:
                        - rule: '!oldSelf.hasValue() || self == oldSelf.value()'
                          optionalOldSelf: true
                          message: created is write-once
                  status:
                    type: object
                    properties:
                      phase:
                        type: string
                        x-kubernetes-validations:
                        - rule: self in ["Pending", "Ready"]
                          message: phase must be Pending or Ready
        """;

    private KubernetesTestServer _server = null!;
    private IKubernetes _client = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _client = _server.CreateClient();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Crd));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task KubectlApply_ObjectBreakingARule_IsRefusedWithTheRulesMessage()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("r.yaml", Range("r", "{min: 5, max: 2}")));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("The Range \"r\" is invalid: spec: Invalid value: \"object\": min must not exceed max", result.Stderr);
        Assert.Null(_server.Get("example.com/v1", "Range", "default", "r"));
    }

    [Fact]
    public async Task Create_MessageExpressionReasonAndFieldPath_ShapeTheError()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 2, ["step"] = -3 }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        var status = Status(error);
        Assert.Equal("Range.example.com \"r\" is invalid: spec.step: Forbidden: step -3 must be positive", status.Message);
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal(("spec.step", "FieldValueForbidden"), (cause.Field, cause.Reason));
    }

    [Fact]
    public async Task Create_MacroOverMapKeys_IsEvaluated()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 2, ["labels"] = new JsonObject { ["Team"] = "a" } }));

        Assert.Contains("spec.labels: Invalid value: \"object\": label keys must be lower-case letters", Status(error).Message);
    }

    [Fact]
    public async Task Update_TransitionRules_JudgeTheChangeButNotTheCreate()
    {
        // Created with any unit: a transition rule needs an old value.
        var created = await CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 2, ["unit"] = "ms" });
        created["spec"]!["unit"] = "s";

        var changed = await Assert.ThrowsAsync<HttpOperationException>(() => ReplaceAsync(created));
        created["spec"]!.AsObject().Remove("unit");
        var removed = await Assert.ThrowsAsync<HttpOperationException>(() => ReplaceAsync(created));

        Assert.Equal("Range.example.com \"r\" is invalid: spec.unit: Invalid value: \"string\": unit is immutable", Status(changed).Message);
        Assert.Equal("Range.example.com \"r\" is invalid: spec: Invalid value: \"object\": unit cannot be removed once set", Status(removed).Message);
        created["spec"]!["unit"] = "ms";
        created["spec"]!["max"] = 9;
        Assert.Equal(9, (await ReplaceAsync(created))["spec"]!["max"]!.GetValue<long>());
    }

    [Fact]
    public async Task Update_OptionalOldSelf_RunsOnCreateToo()
    {
        var created = await CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 2, ["created"] = "today" });
        created["spec"]!["created"] = "tomorrow";

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => ReplaceAsync(created));

        Assert.Contains("spec.created: Invalid value: \"string\": created is write-once", Status(error).Message);
    }

    [Fact]
    public async Task StatusWrite_BreakingAStatusRule_IsRefused()
    {
        var created = await CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 2 });
        created["status"] = new JsonObject { ["phase"] = "Exploded" };

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, "example.com", "v1", "default", "ranges", "r"));

        Assert.Equal("Range.example.com \"r\" is invalid: status.phase: Invalid value: \"string\": phase must be Pending or Ready", Status(error).Message);
    }

    [Fact]
    public async Task Update_ValueThatBreaksARuleAddedLater_IsRatchetedWhileUnchanged()
    {
        var created = await CreateAsync("r", new JsonObject { ["min"] = 1, ["max"] = 500 });
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Crd.Replace(
            "- rule: self.min <= self.max\n",
            "- rule: self.max < 100\n              message: max must be below 100\n            - rule: self.min <= self.max\n",
            StringComparison.Ordinal)));
        created["status"] = new JsonObject { ["phase"] = "Ready" };

        // The spec did not change, so the new rule only warns; a change to it is judged.
        await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, "example.com", "v1", "default", "ranges", "r");
        var result = await _kubectl.RunAsync("label", "range", "r", "team=a");
        var current = Parse(await _client.CustomObjects.GetNamespacedCustomObjectAsync("example.com", "v1", "default", "ranges", "r"));
        current["spec"]!["min"] = 2;
        var changed = await Assert.ThrowsAsync<HttpOperationException>(() => ReplaceAsync(current));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Warning: spec: Invalid value: \"object\": max must be below 100", result.Stderr);
        Assert.Equal("Range.example.com \"r\" is invalid: spec: Invalid value: \"object\": max must be below 100", Status(changed).Message);
    }

    [Fact]
    public async Task IstioWasmPlugin_BreakingIstiosUrlRule_IsRefused()
    {
        await _server.InstallIstioCrdsAsync();
        var plugin = new JsonObject
        {
            ["apiVersion"] = "extensions.istio.io/v1alpha1",
            ["kind"] = "WasmPlugin",
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["url"] = "ftp://example.com/filter.wasm" },
        };

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.CreateNamespacedCustomObjectAsync(plugin, "extensions.istio.io", "v1alpha1", "default", "wasmplugins"));
        plugin["spec"]!["url"] = "oci://registry.example.com/filter:v1";
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(plugin, "extensions.istio.io", "v1alpha1", "default", "wasmplugins");

        Assert.Contains("spec.url: Invalid value: \"string\": url must have schema one of [http, https, file, oci]", Status(error).Message);
    }

    private async Task<JsonObject> CreateAsync(string name, JsonObject spec) =>
        Parse(await _client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Range", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec },
            "example.com", "v1", "default", "ranges"));

    private async Task<JsonObject> ReplaceAsync(JsonObject range) =>
        Parse(await _client.CustomObjects.ReplaceNamespacedCustomObjectAsync(range, "example.com", "v1", "default", "ranges", range["metadata"]!["name"]!.GetValue<string>()));

    private static string Range(string name, string spec) => $"""
        apiVersion: example.com/v1
        kind: Range
        metadata: {"{"}name: {name}, namespace: default{"}"}
        spec: {spec}
        """;

    private static JsonObject Parse(object body) => JsonNode.Parse(JsonSerializer.Serialize(body))!.AsObject();

    private static V1Status Status(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);
}
