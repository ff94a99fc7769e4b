using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>What kubectl prints when kube-apiserver refuses a write to a custom resource: its text, unchanged.</summary>
public sealed class KubectlCustomResourceErrorTests : IAsyncLifetime
{
    private const string RuledCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: gadgets.example.com}
        spec:
          group: example.com
          names: {kind: Gadget, plural: gadgets, singular: gadget}
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
                    type: object
                    x-kubernetes-validations:
                    - {rule: self.size > 0, message: size must be positive}
                    properties:
                      size: {type: integer}
                      image: {type: string}
        """;

    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", RuledCrd));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ApplyWarn_UnknownFieldAndAFailedRule_PrintsTheWarningWithTheRefusal()
    {
        var manifest = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: default}\nspec: {size: 0, colour: red}\n";

        var result = await _kubectl.RunAsync("apply", "--validate=warn", "-f", _kubectl.WriteManifest("g.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Warning: unknown field \"spec.colour\"\nThe Gadget \"g\" is invalid: spec: Invalid value: \"object\": size must be positive",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_WrongType_NamesTheTypeFoundAndThatRulesWereSkipped()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("g.yaml",
            "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1, image: 5}\n"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            """
            The Gadget "g" is invalid: 
            * spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"
            * <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation
            """,
            result.Stderr.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Replace_OfAMissingObject_IsNotFound()
    {
        // kubectl fills in the live resourceVersion when the object exists; when it does not, the PUT goes without one,
        // and kube-apiserver's registry answers that the object is missing before it asks for a version.
        var path = _kubectl.WriteManifest("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n");

        var result = await _kubectl.RunAsync("replace", "-f", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"Error from server (NotFound): error when replacing \"{path}\": gadgets.example.com \"g\" not found", result.Stderr.Trim());
    }

    [Fact]
    public async Task ApplyServerSide_UndeclaredField_IsRefusedWhateverTheValidationLevel()
    {
        var path = _kubectl.WriteManifest("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: default}\nspec: {size: 1, colour: red}\n");

        // An update with --validate=false would drop the field; server-side apply types the configuration first.
        var result = await _kubectl.RunAsync("apply", "--server-side", "--validate=false", "-f", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Error from server: failed to create typed patch object (default/g; example.com/v1, Kind=Gadget): .spec.colour: field not declared in schema",
            result.Stderr.Trim());
        Assert.Null(_server.Get("example.com/v1", "Gadget", "default", "g"));
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/spec/image","value":"x"}]""")]
    [InlineData("""[{"op":"test","path":"/spec/size","value":2}]""")]
    [InlineData("""[{"op":"remove","path":"/spec/missing"}]""")]
    public async Task PatchJson_ThatCannotApply_IsTheGeneric422(string patch)
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n"));

        var result = await _kubectl.RunAsync("patch", "gadget", "g", "--type=json", "-p", patch);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The request is invalid: the server rejected our request due to an error in our request", result.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_Strategic_IsRefusedWithTheAcceptedPatchTypes()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n"));

        // kubectl's default patch type is strategic merge, which custom resources do not take.
        var result = await _kubectl.RunAsync("patch", "gadget", "g", "-p", """{"spec":{"size":2}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "error: application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Gadget: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            result.Stderr.Trim());
    }
}
