using System.Text.Json.Nodes;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Tests;

public sealed class YamlJsonTests
{
    [Theory]
    [InlineData("true")]
    [InlineData("no")]
    [InlineData("10")]
    [InlineData("1.5")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData(" padded ")]
    [InlineData("line1\nline2")]
    [InlineData("@type")]
    [InlineData("a: b")]
    public void Strings_that_look_like_other_types_survive_a_round_trip(string text)
    {
        var yaml = YamlJson.Write([new JsonObject { ["value"] = text }]);
        var back = YamlJson.ReadDocuments(yaml)[0]["value"];
        Assert.Equal(text, back!.GetValue<string>());
    }

    [Fact]
    public void Plain_scalars_follow_the_core_schema()
    {
        var node = YamlJson.ReadDocuments("a: true\nb: 12\nc: 1.5\nd: ~\ne: 'true'\nf: word\n")[0];
        Assert.Equal("""{"a":true,"b":12,"c":1.5,"d":null,"e":"true","f":"word"}""", node.ToJsonString());
    }

    [Fact]
    public void Duplicate_keys_are_refused_with_the_line()
    {
        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadDocuments("a: 1\nb: 2\na: 3\n"));
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }
}
