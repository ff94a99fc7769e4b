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
              generation: {type: integer, format: int64}
              since: {type: string, format: date-time}
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
    // kube-openapi's type validator checks a value that is not a string against the format first, naming the Go type
    // the JSON decoder made of it (int64, float64; "" for a bool or an object) and the schema's format.
    [InlineData("""{"spec":{"image":"a","generation":3.5}}""", "spec.generation: Invalid value: \"float64\": spec.generation in body must be of type int64: \"float64\"")]
    [InlineData("""{"spec":{"image":"a","generation":true}}""", "spec.generation: Invalid value: \"\": spec.generation in body must be of type int64: \"\"")]
    [InlineData("""{"spec":{"image":"a","generation":"3"}}""", "spec.generation: Invalid value: \"string\": spec.generation in body must be of type integer: \"string\"")]
    [InlineData("""{"spec":{"image":"a","since":5}}""", "spec.since: Invalid value: \"int64\": spec.since in body must be of type date-time: \"int64\"")]
    [InlineData("""{"spec":{"image":"a","since":1.5}}""", "spec.since: Invalid value: \"float64\": spec.since in body must be of type date-time: \"float64\"")]
    [InlineData("""{"spec":{"image":"a","since":{}}}""", "spec.since: Invalid value: \"\": spec.since in body must be of type date-time: \"\"")]
    // Integers too big for int64 decode as float64, which counts as an integer only up to 2^53 - 1.
    [InlineData("""{"spec":{"image":"a","generation":9223372036854775808}}""", "spec.generation: Invalid value: \"float64\": spec.generation in body must be of type int64: \"float64\"")]
    [InlineData("""{"spec":{"image":"a","port":8080.5}}""", "spec.port: Invalid value: \"number\": spec.port in body must be of type integer,string: \"number\"")]
    public void Validate_ReportsTheFieldAndReasonAsKubeApiserverWordsThem(string json, string expected)
    {
        var obj = Parse(json);
        Schema.PruneAndDefault(obj);

        Assert.Equal(expected, Assert.Single(Schema.Validate(obj)).ToString());
    }

    [Fact]
    public void Validate_AWrongType_DoesNotHideTheOtherChecksOfTheValue()
    {
        // kube-openapi runs every validator that applies to the value's Go kind and keeps all their errors, in its order
        // (type before bounds and enum); the order between fields is a Go map's there.
        var obj = Parse("""{"spec":{"image":"a","replicas":11.5,"mode":5}}""");
        Schema.PruneAndDefault(obj);

        Assert.Equal(
            [
                "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"",
                "spec.replicas: Invalid value: 11.5: spec.replicas in body should be less than or equal to 10",
                "spec.mode: Invalid value: \"integer\": spec.mode in body must be of type string: \"integer\"",
                "spec.mode: Unsupported value: 5: supported values: \"Remote\", \"HostPath\"",
            ],
            Schema.Validate(obj).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("""{"spec":{"image":"a","port":8080}}""")]
    [InlineData("""{"spec":{"image":"a","port":"http"}}""")]
    [InlineData("""{"spec":{"image":"a","source":{"path":"p"}}}""")]
    // A float that is a whole number (3.0, 1e1) passes as an integer, as kube-openapi lets it (swag.IsFloat64AJSONInteger).
    [InlineData("""{"spec":{"image":"a","replicas":3.0}}""")]
    [InlineData("""{"spec":{"image":"a","replicas":1e1}}""")]
    [InlineData("""{"spec":{"image":"a","generation":3.0}}""")]
    [InlineData("""{"spec":{"image":"a","port":8080.0}}""")]
    // kube-openapi lets a list through a string field that has a format: its type check returns early for slices.
    [InlineData("""{"spec":{"image":"a","since":[]}}""")]
    public void Validate_AcceptsValidObjects(string json)
    {
        var obj = Parse(json);
        Schema.PruneAndDefault(obj);

        Assert.Empty(Schema.Validate(obj));
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
