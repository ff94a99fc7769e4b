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

    [Fact]
    public void Nesting_past_the_limit_is_refused_with_the_line_instead_of_overflowing_the_stack()
    {
        // 100,000 levels took the process down (stack overflow in YamlDotNet's node model, exit 134).
        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadDocuments("a: 1\nb: " + new string('[', 100_000) + new string(']', 100_000) + "\n"));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains($"nest more than {DepthLimitedParser.MaxDepth} levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_limit_reads()
    {
        var depth = DepthLimitedParser.MaxDepth;
        var node = Assert.Single(YamlJson.ReadDocuments(new string('[', depth) + new string(']', depth)));

        Assert.Equal(new string('[', depth) + new string(']', depth), node.ToJsonString());
    }
}
