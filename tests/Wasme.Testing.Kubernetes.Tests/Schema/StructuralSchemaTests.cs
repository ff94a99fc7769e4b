using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Schema;

namespace Wasme.Testing.Kubernetes.Tests.Schema;

public sealed class StructuralSchemaTests
{
    private static readonly StructuralSchema Schema = StructuralSchema.Parse((JsonObject)YamlJson.ParseDocument("""
        type: object
        properties:
          spec:
            type: object
            required: [image]
            properties:
              image: {type: string, pattern: '^[a-z./:0-9-]+$'}
              port: {x-kubernetes-int-or-string: true}
              mode: {type: string, enum: [Remote, HostPath], default: Remote}
              replicas: {type: integer, minimum: 1, maximum: 10}
              config: {x-kubernetes-preserve-unknown-fields: true}
              note: {type: string, nullable: true}
              labels: {type: object, additionalProperties: {type: string}}
              items: {type: array, maxItems: 2, items: {type: object, properties: {name: {type: string, default: unnamed}}}}
              source:
                type: object
                properties: {url: {type: string}, path: {type: string}}
                oneOf:
                - required: [url]
                - required: [path]
        """)!);

    [Fact]
    public void PruneAndDefault_RemovesUnknownFields_KeepsPreservedOnes_AndAppliesDefaults()
    {
        var obj = Parse("""{"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},"spec":{"image":"a","extra":1,"config":{"anything":{"goes":true}},"items":[{}]},"top":1}""");

        var unknown = Schema.PruneAndDefault(obj);

        Assert.Equal(["top", "spec.extra"], unknown.Order().Reverse());
        Assert.Null(obj["spec"]!["extra"]);
        Assert.True(obj["spec"]!["config"]!["anything"]!["goes"]!.GetValue<bool>());
        Assert.Equal("Remote", obj["spec"]!["mode"]!.GetValue<string>());
        Assert.Equal("unnamed", obj["spec"]!["items"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("n", obj["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void PruneAndDefault_DropsNullsUnlessNullable()
    {
        var obj = Parse("""{"spec":{"image":"a","mode":null,"note":null,"replicas":null}}""");

        Schema.PruneAndDefault(obj);

        Assert.Equal("Remote", obj["spec"]!["mode"]!.GetValue<string>());
        Assert.True(obj["spec"]!.AsObject().ContainsKey("note"));
        Assert.False(obj["spec"]!.AsObject().ContainsKey("replicas"));
        Assert.Empty(Schema.Validate(obj));
    }

    [Theory]
    [InlineData("""{"spec":{}}""", "spec.image: Required value")]
    [InlineData("""{"spec":{"image":"UPPER"}}""", "spec.image: Invalid value: \"UPPER\": spec.image in body should match '^[a-z./:0-9-]+$'")]
    [InlineData("""{"spec":{"image":"a","mode":"Other"}}""", "spec.mode: Unsupported value: \"Other\": supported values: \"Remote\", \"HostPath\"")]
    [InlineData("""{"spec":{"image":"a","replicas":11}}""", "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10")]
    [InlineData("""{"spec":{"image":"a","replicas":1.5}}""", "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"")]
    [InlineData("""{"spec":{"image":"a","port":true}}""", "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"")]
    [InlineData("""{"spec":{"image":"a","labels":{"k":1}}}""", "spec.labels.k: Invalid value: \"integer\": spec.labels.k in body must be of type string: \"integer\"")]
    [InlineData("""{"spec":{"image":"a","items":[{},{},{}]}}""", "spec.items: Too many: 3: must have at most 2 items")]
    [InlineData("""{"spec":{"image":"a","source":{"url":"u","path":"p"}}}""", "spec.source: Invalid value: \"object\": spec.source in body must validate one and only one schema (oneOf). Found 2 valid")]
    public void Validate_ReportsTheFieldAndReasonAsKubeApiserverWordsThem(string json, string expected)
    {
        var obj = Parse(json);
        Schema.PruneAndDefault(obj);

        Assert.Equal(expected, Assert.Single(Schema.Validate(obj)).ToString());
    }

    [Theory]
    [InlineData("""{"spec":{"image":"a","port":8080}}""")]
    [InlineData("""{"spec":{"image":"a","port":"http"}}""")]
    [InlineData("""{"spec":{"image":"a","source":{"path":"p"}}}""")]
    public void Validate_AcceptsValidObjects(string json)
    {
        var obj = Parse(json);
        Schema.PruneAndDefault(obj);

        Assert.Empty(Schema.Validate(obj));
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
