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
    [InlineData("1_000")]
    [InlineData("0b11")]
    [InlineData("017")]
    [InlineData("y")]
    public void Strings_that_look_like_other_types_survive_a_round_trip(string text)
    {
        var yaml = YamlJson.Write([new JsonObject { ["value"] = text }]);
        Assert.Equal(text, YamlJson.ReadDocuments(yaml)[0]["value"]!.GetValue<string>());
        Assert.Equal(text, YamlJson.ReadManifests(yaml)[0]["value"]!.GetValue<string>());
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

    [Theory]
    [InlineData("a: &a [*a]\n", "line 1", "*a sits inside the value &a it names")]
    [InlineData("b: 1\na: &a {x: {y: *a}}\n", "line 2", "*a sits inside the value &a it names")]
    [InlineData("a: *later\nb: &later [1]\n", "line 1", "*later names no anchor &later before it")]
    public void An_alias_to_its_own_value_or_to_a_later_one_is_refused_instead_of_overflowing_the_stack(string yaml, string line, string message)
    {
        // `a: &a [*a]` is a list holding itself: reading it to JSON recursed until the process died (exit 134, no message).
        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadManifests(yaml));

        Assert.Contains(line, error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_that_repeat_a_long_value_past_16_MiB_of_text_are_refused_before_they_take_the_memory()
    {
        // Few values, but each alias is a copy of the 1 MiB string once read: a few thousand ran the process out of memory.
        var yaml = $"a: &a {new string('x', 1 << 20)}\nb: [{string.Join(", ", Enumerable.Repeat("*a", 40))}]\n";

        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadManifests(yaml));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("aliases (*name) repeat more than 16 MiB of text", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_that_expand_past_a_million_values_are_refused_before_they_take_the_memory()
    {
        // Ten lines, 9^10 values once expanded: reading them ran the process out of memory.
        var yaml = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        }

        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadManifests(yaml.ToString()));

        Assert.Contains("line 7", error.Message, StringComparison.Ordinal);
        Assert.Contains("expand to more than a million values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_that_nest_past_the_limit_once_expanded_are_refused()
    {
        var half = (DepthLimitedParser.MaxDepth / 2) + 1;
        var yaml = $"a: &a {new string('[', half)}{new string(']', half)}\nb: {new string('[', half)}*a{new string(']', half)}\n";

        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadManifests(yaml));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("with the alias *a expanded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_within_the_bounds_read_as_yaml_says()
    {
        var node = Assert.Single(YamlJson.ReadManifests("base: &b {region: eu}\ncopy: *b\nname: &n x\nagain: *n\ninner: [&b [1], *b]\n"));

        Assert.Equal("""{"base":{"region":"eu"},"copy":{"region":"eu"},"name":"x","again":"x","inner":[[1],[1]]}""", node.ToJsonString());
    }

    // What kubectl 1.32 sends to the API server for the same plain scalars (sigs.k8s.io/yaml, go-yaml v2 rules), seen in
    // the request body of `kubectl apply -v=8` (which sorts the keys and leaves out the null, as apply drops nulls).
    [Fact]
    public void Manifests_read_plain_scalars_as_kubectl_does()
    {
        var node = YamlJson.ReadManifests("""
            {f: 1.10, h: 0x1F, on: yes, e: 1e3, s: x, t: 2024-01-01, oct: 0o17, o2: 017,
             u: 1_000, b: 0b11, o: Off, q: 'yes', v: 1.2.3, n8: 08, neg: -0x10, nul: ~}
            """)[0];

        Assert.Equal(
            """{"f":1.1,"h":31,"true":true,"e":1000,"s":"x","t":"2024-01-01","oct":15,"o2":15,"u":1000,"b":3,"o":false,"q":"yes","v":"1.2.3","n8":8,"neg":-16,"nul":null}""",
            node.ToJsonString());
    }

    [Theory]
    [InlineData("a: .inf\n", "line 1, column 4")]
    [InlineData("~: 1\n", "reads as null")]
    public void Manifest_values_JSON_cannot_hold_are_refused_with_the_position(string yaml, string expected)
    {
        var error = Assert.Throws<YamlFormatException>(() => YamlJson.ReadManifests(yaml));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
