using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

/// <summary>
/// CRDs are judged as apiextensions-apiserver judges them when written (issue 13): kubectl shows the same refusal
/// a real cluster gives, so a CRD this server accepts is one `kubectl apply -f deploy/crds/` can install.
/// </summary>
public sealed class CrdValidationTests : IAsyncLifetime
{
    private const string Prefix = "spec.validation.openAPIV3Schema.properties[spec]";
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_RuleOnUntypedPreservedNode_IsRefusedForWantOfACelType()
    {
        var result = await ApplyCrdAsync("""
            config:
              x-kubernetes-preserve-unknown-fields: true
              x-kubernetes-validations:
              - rule: type(self) == string || type(self) == map
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"The CustomResourceDefinition \"things.example.com\" is invalid: {Prefix}.properties[config].x-kubernetes-validations: " +
            "Internal error: internal error: failed to construct type information for x-kubernetes-validations rules: unable to convert structural schema to CEL declarations",
            result.Stderr);
        Assert.Null(_server.Get("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, "things.example.com"));
    }

    [Fact]
    public async Task Apply_NonStructuralSchema_NamesEveryViolation()
    {
        var result = await ApplyCrdAsync("""
            size: {minimum: 1}
            tags:
              type: array
              uniqueItems: true
              items: {type: string}
            labels:
              type: object
              properties: {a: {type: string}}
              additionalProperties: {type: string}
            list: {type: array}
            ref: {$ref: '#/definitions/x'}
            choice:
              type: object
              properties: {a: {type: string}}
              anyOf:
              - {type: object, required: [a]}
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{Prefix}.properties[size].type: Required value: must not be empty for specified object fields", result.Stderr);
        Assert.Contains($"{Prefix}.properties[list].items: Required value: must be specified", result.Stderr);
        Assert.Contains($"{Prefix}.properties[choice].anyOf[0].type: Forbidden: must be empty to be structural", result.Stderr);
        Assert.Contains($"{Prefix}.properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic", result.Stderr);
        Assert.Contains($"{Prefix}.properties[labels].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive", result.Stderr);
        Assert.Contains($"{Prefix}.properties[ref].$ref: Forbidden: $ref is not supported", result.Stderr);
    }

    [Fact]
    public async Task Apply_MetadataSchemaBeyondNames_IsRefused()
    {
        var crd = Crd("size: {type: integer}").Replace(
            "\n          spec:\n",
            "\n          metadata:\n            type: object\n            properties:\n              labels: {type: object}\n          spec:\n",
            StringComparison.Ordinal);

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", crd));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified", result.Stderr);
    }

    [Fact]
    public async Task Apply_RuleWithSyntaxError_IsRefusedWithCelsCompilerMessage()
    {
        var result = await ApplyCrdAsync("""
            size:
              type: integer
              x-kubernetes-validations:
              - rule: self >
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{Prefix}.properties[size].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{{Rule:\"self >\", Message:\"\", " +
            "MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}: " +
            "compilation failed: ERROR: <input>:1:7: Syntax error: mismatched input '<EOF>'",
            result.Stderr);
    }

    [Theory]
    [InlineData("self.nosuch == 1", "compilation failed: ERROR: <input>:1:5: undefined field 'nosuch'")]
    [InlineData("self.min", "cel expression must evaluate to a bool")]
    [InlineData("frobnicate(self)", "compilation failed: ERROR: <input>:1:11: undeclared reference to 'frobnicate' (in container '')")]
    public async Task Apply_RuleWithTypeError_IsRefused(string rule, string detail)
    {
        var result = await ApplyCrdAsync("min: {type: integer}", specRules: rule);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{Prefix}.x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{{Rule:", result.Stderr);
        Assert.Contains(detail, result.Stderr);
    }

    [Fact]
    public async Task Apply_TransitionRuleInsideAList_IsRefusedAsUncorrelatable()
    {
        var result = await ApplyCrdAsync("""
            items:
              type: array
              items:
                type: string
                x-kubernetes-validations:
                - rule: self == oldSelf
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{Prefix}.properties[items].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": oldSelf cannot be used on the uncorrelatable portion of the schema within {Prefix}.properties[items]", result.Stderr);
    }

    [Fact]
    public async Task Apply_IstioAndWasmeCrds_AreAccepted()
    {
        var istio = IstioCrds.Find();
        Assert.True(istio is not null, "third_party/istio/customresourcedefinitions.gen.yaml not found");

        await _kubectl.SucceedAsync("apply", "-f", istio);
        var output = await _kubectl.SucceedAsync("apply", "-f", RepositoryFile("deploy", "crds"));

        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/filterdeployments.wasme.io created", output);
    }

    internal static string RepositoryFile(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine([directory.FullName, .. parts]);
            if (Path.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "Wasme.slnx")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{Path.Combine(parts)} not found above {AppContext.BaseDirectory}");
    }

    private Task<KubectlResult> ApplyCrdAsync(string specProperties, string? specRules = null) =>
        _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Crd(specProperties, specRules)));

    private static string Crd(string specProperties, string? specRules = null)
    {
        var properties = string.Join('\n', specProperties.Split('\n').Select(l => "              " + l));
        var rules = specRules is null ? "" : $"\n            x-kubernetes-validations:\n            - rule: '{specRules}'";
        return $"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: things.example.com
            spec:
              group: example.com
              names: {"{"}kind: Thing, plural: things, singular: thing{"}"}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object{rules}
                        properties:
            {properties}
            """;
    }
}
