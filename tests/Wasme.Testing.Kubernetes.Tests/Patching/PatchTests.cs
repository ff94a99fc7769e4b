using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Patching;

namespace Wasme.Testing.Kubernetes.Tests.Patching;

public sealed class PatchTests
{
    private static readonly JsonObject Pod = Parse("""
        {"metadata":{"finalizers":["a"]},"spec":{"containers":[
          {"name":"app","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80}]},
          {"name":"side","image":"side:1"}],"tolerations":[{"key":"t"}]}}
        """);

    [Fact]
    public void StrategicMerge_MergesListsByKey_ReplacesOthers_AndHonoursDirectives()
    {
        var patch = Parse("""
            {"metadata":{"finalizers":["b"]},"spec":{
              "$setElementOrder/containers":[{"name":"side"},{"name":"app"}],
              "containers":[{"name":"app","image":"app:2","env":[{"name":"A","$patch":"delete"},{"name":"C","value":"3"}]},{"name":"new","image":"new:1"}],
              "tolerations":[{"key":"u"}]}}
            """);

        var result = StrategicMergePatch.Apply(Pod, patch);

        var containers = result["spec"]!["containers"]!.AsArray();
        Assert.Equal(["side", "app", "new"], containers.Select(c => c!["name"]!.GetValue<string>()));
        var app = containers[1]!;
        Assert.Equal("app:2", app["image"]!.GetValue<string>());
        Assert.Equal(["B", "C"], app["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal(80, app["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal("u", Assert.Single(result["spec"]!["tolerations"]!.AsArray())!["key"]!.GetValue<string>());
        Assert.Equal(["a", "b"], result["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public void StrategicMerge_NullDeletesAndReplaceDirectiveReplacesAMap()
    {
        var result = StrategicMergePatch.Apply(Parse("""{"a":{"x":1,"y":2},"b":1}"""), Parse("""{"a":{"$patch":"replace","z":3},"b":null}"""));

        Assert.Equal("""{"a":{"z":3}}""", result.ToJsonString());
    }

    [Fact]
    public void JsonMergePatch_FollowsRfc7386()
    {
        var result = JsonMergePatch.Apply(Parse("""{"a":"b","c":{"d":"e","f":"g"},"l":[1,2]}"""), Parse("""{"a":"z","c":{"f":null},"l":[3]}"""));

        Assert.Equal("""{"a":"z","c":{"d":"e"},"l":[3]}""", result!.ToJsonString());
    }

    [Fact]
    public void JsonPatch_AppliesEveryOperation()
    {
        var operations = (JsonArray)JsonNode.Parse("""
            [{"op":"add","path":"/list/-","value":3},{"op":"add","path":"/list/0","value":0},
             {"op":"replace","path":"/a~1b","value":"B"},{"op":"move","from":"/m","path":"/moved"},
             {"op":"copy","from":"/moved","path":"/copied"},{"op":"remove","path":"/gone"},{"op":"test","path":"/list/1","value":1}]
            """)!;

        var result = JsonPatch.Apply(Parse("""{"list":[1,2],"a/b":"b","m":"x","gone":true}"""), operations);

        Assert.Equal("""{"list":[0,1,2,3],"a/b":"B","moved":"x","copied":"x"}""", result.ToJsonString());
    }

    [Fact]
    public void JsonPatch_FailedTestOrMissingPathIsRejected()
    {
        var failedTest = Assert.Throws<ApiException>(() => JsonPatch.Apply(Parse("""{"a":1}"""), (JsonArray)JsonNode.Parse("""[{"op":"test","path":"/a","value":2}]""")!));
        Assert.Equal(422, failedTest.Code);
        var missing = Assert.Throws<ApiException>(() => JsonPatch.Apply(Parse("""{"a":1}"""), (JsonArray)JsonNode.Parse("""[{"op":"remove","path":"/b/c"}]""")!));
        Assert.Equal((422, "the server rejected our request due to an error in our request"), (missing.Code, missing.Message));
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
