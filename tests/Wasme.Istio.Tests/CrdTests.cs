using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wasme.Istio.Api;
using Wasme.Istio.Schema;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Tests;

/// <summary>The CRD in deploy/crds, loaded from the file: its schema accepts good FilterDeployments, rejects bad ones with the reason, and matches the C# types.</summary>
public sealed class CrdTests
{
    private static readonly JsonNode Crd = YamlJson.ReadDocuments(File.ReadAllText(RepositoryPaths.Crd))[0];
    private static readonly ManifestSchema Schema = ManifestSchema.FromCrd(Crd, "v1");

    private const string Seed = """
        apiVersion: wasme.io/v1
        kind: FilterDeployment
        metadata:
          name: bookinfo-custom-filter
          namespace: bookinfo
        spec:
          deployment:
            istio:
              kind: Deployment
              labels:
                app: details
          filter:
            config: 'world'
            image: webassemblyhub.io/ceposta/demo-add-header:v0.2
        """;

    private static JsonNode SeedWith(Action<JsonNode> edit)
    {
        var node = YamlJson.ReadDocuments(Seed)[0];
        edit(node);
        return node;
    }

    // One FilterDeployment per CEL rule of the CRD (by its message) that breaks that rule alone: `wasme render` must refuse
    // what kube-apiserver refuses, and it has no CEL interpreter, so FilterDeploymentValidator restates each rule.
    private static readonly Dictionary<string, string> CelRuleViolations = new(StringComparer.Ordinal)
    {
        ["give at least one of publicKeys or identities"] = "verification: {policy: Warn}",
        ["give exactly one of issuer or issuerRegExp"] = "verification: {identities: [{issuer: https://a, issuerRegExp: '.*', subject: me}]}",
        ["give exactly one of subject or subjectRegExp"] = "verification: {identities: [{issuer: https://a}]}",
    };

    [Fact]
    public void Every_CEL_rule_of_the_CRD_is_also_enforced_by_the_FilterDeployment_reader()
    {
        var messages = Crd.ToJsonString().Split("\"message\":\"").Skip(1).Select(m => m[..m.IndexOf('"', StringComparison.Ordinal)]).ToList();
        Assert.NotEmpty(messages);
        foreach (var message in messages)
        {
            Assert.True(CelRuleViolations.TryGetValue(message, out var violation), $"CEL rule '{message}' has no sample in CelRuleViolations; add one and restate the rule in FilterDeploymentValidator");
            var yaml = Seed.Replace("    config: 'world'", "    config: 'world'\n    " + violation, StringComparison.Ordinal);
            var document = Assert.Single(Rendering.FilterDeploymentReader.ReadAll(yaml));
            Assert.Contains(document.Problems, p => p.Reason == message);
        }
    }

    [Fact]
    public void The_embedded_CRD_is_the_checked_in_file() =>
        Assert.Equal(File.ReadAllText(RepositoryPaths.Crd), FilterDeploymentSchema.CrdYaml);

    [Fact]
    public void Accepts_the_seed_FilterDeployment() =>
        Assert.Empty(Schema.Validate(YamlJson.ReadDocuments(Seed)[0]));

    [Fact]
    public void Accepts_the_original_StringValue_config_and_a_JSON_object_config()
    {
        Assert.Empty(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["config"] = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.protobuf.StringValue",
            ["value"] = "world",
        })));
        Assert.Empty(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["config"] = new JsonObject { ["a"] = new JsonArray(1, 2) })));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("[\"a\"]")]
    public void Rejects_a_config_of_the_wrong_type_with_the_reason(string config)
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["config"] = JsonNode.Parse(config))));
        Assert.Equal("spec.filter.config", problem.Path);
        Assert.Contains("config must be a string, a StringValue", problem.Reason, StringComparison.Ordinal);
    }

    // The id ends the name of every object made for a workload (<workload>-<id>), which kube-apiserver checks as a DNS
    // subdomain: dot-separated labels, none empty nor starting or ending with '-'.
    [Theory]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData("a-.b")]
    public void Rejects_a_filter_id_that_cannot_end_an_object_name(string id)
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["id"] = id)));
        Assert.Equal("spec.filter.id", problem.Path);
        Assert.Single(Assert.Single(Rendering.FilterDeploymentReader.ReadAll(Seed.Replace("    config: 'world'", $"    config: 'world'\n    id: '{id}'", StringComparison.Ordinal))).Problems, p => p.Path == "spec.filter.id");
    }

    [Theory]
    [InlineData("add-header")]
    [InlineData("add-header.v2.bookinfo")]
    [InlineData("a")]
    public void Accepts_a_filter_id_that_is_a_DNS_subdomain(string id) =>
        Assert.Empty(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["id"] = id)));

    [Fact]
    public void Rejects_a_missing_image()
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!.AsObject().Remove("image"))));
        Assert.Equal("spec.filter.image", problem.Path);
        Assert.Contains("required", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_unknown_workload_kind_naming_the_allowed_ones()
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["deployment"]!["istio"]!["kind"] = "ReplicaSet")));
        Assert.Equal("spec.deployment.istio.kind", problem.Path);
        Assert.Equal("ReplicaSet", problem.Value);
        Assert.Contains("Deployment, DaemonSet, StatefulSet", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_unknown_delivery_naming_the_allowed_ones()
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["deployment"]!["istio"]!["delivery"] = "Sideload")));
        Assert.Equal("spec.deployment.istio.delivery", problem.Path);
        Assert.Contains("Remote, HostPath, WasmPlugin", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_misspelled_field_instead_of_dropping_it()
    {
        var problem = Assert.Single(Schema.Validate(SeedWith(n => n["spec"]!["filter"]!["rootId"] = "add_header")));
        Assert.True(problem.Path == "spec.filter.rootId", problem.ToString());
        Assert.True(problem.Reason.Contains("unknown field", StringComparison.Ordinal), problem.ToString());
    }

    [Fact]
    public void Has_printer_columns_short_name_and_status_subresource()
    {
        var version = Crd["spec"]!["versions"]![0]!;
        var columns = version["additionalPrinterColumns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Image", "Delivery", "Ready", "Reason", "Nodes", "Age"], columns);
        Assert.NotNull(version["subresources"]!["status"]);
        Assert.Equal("fd", Crd["spec"]!["names"]!["shortNames"]![0]!.GetValue<string>());
        Assert.Equal("Namespaced", Crd["spec"]!["scope"]!.GetValue<string>());
    }

    [Fact]
    public void Defaults_and_enums_match_the_CSharp_enums()
    {
        var istio = Properties("spec", "deployment", "istio");
        Assert.Equal("Remote", istio["delivery"]!["default"]!.GetValue<string>());
        Assert.Equal("Deployment", istio["kind"]!["default"]!.GetValue<string>());
        Assert.Equal(EnumNames<DeliveryMode>(), Enum(istio["delivery"]!));
        Assert.Equal(EnumNames<WorkloadKind>(), Enum(istio["kind"]!));
        var filter = Properties("spec", "filter");
        Assert.Equal("FailClose", filter["failStrategy"]!["default"]!.GetValue<string>());
        Assert.Equal(EnumNames<FailStrategy>(), Enum(filter["failStrategy"]!));
        Assert.Equal(EnumNames<PatchContext>(), Enum(filter["patchContext"]!));
    }

    [Theory]
    [InlineData(typeof(FilterDeploymentSpec), new[] { "spec" })]
    [InlineData(typeof(FilterSpec), new[] { "spec", "filter" })]
    [InlineData(typeof(ImagePullOptions), new[] { "spec", "filter", "imagePullOptions" })]
    [InlineData(typeof(DeploymentSpec), new[] { "spec", "deployment" })]
    [InlineData(typeof(IstioDeploymentSpec), new[] { "spec", "deployment", "istio" })]
    [InlineData(typeof(FilterDeploymentStatus), new[] { "status" })]
    public void Schema_properties_are_exactly_the_CSharp_properties(Type type, string[] path)
    {
        var fromType = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name)
            .Order(StringComparer.Ordinal);
        var fromSchema = Properties(path).Select(p => p.Key).Order(StringComparer.Ordinal);
        Assert.Equal(fromType, fromSchema);
    }

    private static JsonObject Properties(params string[] path)
    {
        var schema = Crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;
        foreach (var segment in path)
        {
            schema = schema["properties"]![segment]!;
        }

        return schema["properties"]!.AsObject();
    }

    private static List<string> Enum(JsonNode property) => property["enum"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

    private static List<string> EnumNames<T>()
        where T : struct, Enum => [.. System.Enum.GetValues<T>().Select(v => System.Text.Json.JsonSerializer.Serialize(v, IstioJsonContextForTests.Options).Trim('"'))];
}
