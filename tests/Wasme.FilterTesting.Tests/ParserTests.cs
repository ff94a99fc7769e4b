using Wasme.FilterTesting.Parsing;

namespace Wasme.FilterTesting.Tests;

public sealed class ParserTests
{
    [Fact]
    public void Reads_a_case_with_given_when_then()
    {
        var file = FilterTestParser.Parse("/t/add.yaml", """
            filters:
              - module: build/filter.wasm
                rootId: add_header
                config: world
            tests:
              - name: adds the header
                when:
                  advance: 250ms
                  request: {method: POST, path: /a?b=1, headers: {x-a: "1"}, bodyChunks: [ab, cd]}
                  upstream: {status: 201, body: done}
                  httpCalls: {auth: {status: 200, body: token, delay: 1s}}
                then:
                  response:
                    status: 201
                    headers: {hello: world, x-gone: {absent: true}, server: {contains: wasme}}
                    body: {contains: don}
                  logs: [{level: info, contains: started}]
                  metrics: {requests: 1}
            """);

        var testCase = Assert.Single(file.Cases);
        Assert.Equal("/t/build/filter.wasm", testCase.Given.Filters[0].Module);
        Assert.Equal("world"u8.ToArray(), testCase.Given.Filters[0].Configuration);
        Assert.Equal(TimeSpan.FromMilliseconds(250), testCase.When.Advance);
        Assert.Equal(["ab"u8.ToArray(), "cd"u8.ToArray()], testCase.When.Request.Body);
        Assert.Equal(TimeSpan.FromSeconds(1), testCase.When.HttpCalls["auth"].Delay);
        Assert.Equal(201, testCase.Then.Response!.Status);
        Assert.True(testCase.Then.Response.Headers["x-gone"].Absent);
        Assert.Equal("wasme", testCase.Then.Response.Headers["server"].Value!.Contains);
        Assert.Equal(1, testCase.Then.Metrics["requests"]);
    }

    [Fact]
    public void A_mapping_configuration_is_handed_to_the_filter_as_json()
    {
        var file = FilterTestParser.Parse("a.yaml", """
            filters: [{module: f.wasm, config: {header: x-a, count: 2, on: true}}]
            tests: [{name: c}]
            """);

        Assert.Equal("""{"header":"x-a","count":2,"on":true}""", System.Text.Encoding.UTF8.GetString(file.Cases[0].Given.Filters[0].Configuration));
    }

    [Theory]
    [InlineData("tests:\n  - name: a\n    when:\n      reqest: {}\n", 4, "unknown key 'reqest' in when; expected one of: advance, request")]
    [InlineData("tests:\n  - name: a\n    when:\n      advance: soon\n", 4, "advance must be a duration such as 250ms")]
    [InlineData("tests:\n  - name: a\n    then:\n      response: {status: 999}\n", 4, "then.response.status must be a whole number from 100 to 599")]
    [InlineData("tests:\n  - name: a\n  - name: a\n", 3, "two cases are named 'a'")]
    [InlineData("tests:\n  - when: {}\n", 2, "a test case needs a name")]
    [InlineData("tests:\n  - name: a\n    then:\n      upstream: {trailers: {x-t: a}}\n", 4, "then.upstream.trailers cannot be checked: request trailers are not forwarded to the upstream")]
    [InlineData("tests:\n  - name: ''\n", 2, "a case name must be one line of visible text")]
    [InlineData("tests:\n  - name: \"ok\\n::error::injected\"\n", 2, "a case name must be one line of visible text")]
    [InlineData("tests:\n  - name: \"red \\e[31m\"\n", 2, "a case name must be one line of visible text")]
    [InlineData("filters: []\ntests: []\n", 1, "filters must list at least one filter")]
    [InlineData("tests:\n  - name: a\n    then:\n      response:\n        body: {matches: '('}\n", 5, "is not a valid regular expression")]
    [InlineData("tests:\n  - name: a\n    when:\n      request: {path: api}\n", 4, "path must start with '/'")]
    [InlineData("tests:\n  - name: a\n    when:\n      request: {body: !!binary 'not base64!'}\n", 4, "request.body is tagged !!binary but is not base64")]
    [InlineData("tests:\n  - name: a\n    then:\n      response: {body: !!binary '%%'}\n", 4, "then.response.body is tagged !!binary but is not base64")]
    [InlineData("tests: [name: a\n", 2, "not valid YAML")]
    [InlineData("filters:\n  - failurePolicy: never\ntests: []\n", 2, "failurePolicy must be fail-closed, fail-open or reload")]
    [InlineData("name: x\n", 1, "unknown key 'name' in the test file")]
    [InlineData("filters: []\n", 1, "filters must list at least one filter")]
    [InlineData("node: {id: a}\n", 1, "the file has no 'tests:' list")]
    [InlineData("filters: [{module: f.wasm}\ntests:\n  - name: a\n", 2, "not valid YAML: check that every '[' and '{' before this point is closed")]
    [InlineData("filters: [{module: f.wasm, config: {? [a]: b}}]\ntests: [{name: c}]\n", 1, "a key of a mapping sent as JSON must be a single value")]
    [InlineData("tests:\n  - name: a\n    when: {advance: NaNs}\n", 3, "advance must be a duration such as 250ms")]
    [InlineData("tests:\n  - name: a\n    then:\n      response: {headers: {Hello: x, hello: y}}\n", 4, "'hello' appears twice in then.response.headers (header names ignore case)")]
    [InlineData("tests:\n  - name: !Ref a\n", 2, "the tag !Ref means nothing in a test file; remove it")]
    [InlineData("tests:\n  - name: !!int a\n", 2, "the tag !!int means nothing in a test file; remove it")]
    [InlineData("tests:\n  - !case {name: a}\n", 2, "the tag !case means nothing in a test file; remove it")]
    [InlineData("tests:\n  - name: a\n    when:\n      request: {headers: {x-a: !!binary aGk=}}\n", 4, "request.headers.x-a is tagged !!binary, which only bodies and messages take; write the value as text")]
    [InlineData("filters: [{module: f.wasm, config: {key: !!binary aGk=}}]\ntests: [{name: c}]\n", 1, "a value sent as JSON is tagged !!binary, which only bodies and messages take; write the value as text")]
    public void A_malformed_file_is_refused_with_its_line_and_the_fix(string yaml, int line, string message)
    {
        var error = Assert.Throws<FilterTestFileException>(() => FilterTestParser.Parse("bad.yaml", yaml));

        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"bad.yaml:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_str_tag_and_binary_bodies_are_read()
    {
        var file = FilterTestParser.Parse("ok.yaml", "filters: [{module: f.wasm, config: {port: !!str 8080}}]\ntests:\n  - name: !!str 123\n    when: {request: {body: !!binary aGk=}}\n");

        Assert.Equal("123", file.Cases[0].Name);
        Assert.Equal("""{"port":"8080"}""", System.Text.Encoding.UTF8.GetString(file.Cases[0].Given.Filters[0].Configuration));
        Assert.Equal("hi"u8.ToArray(), Assert.Single(file.Cases[0].When.Request.Body));
    }

    [Fact]
    public void Aliases_that_expand_past_a_million_values_are_refused_before_they_take_the_memory()
    {
        // A few lines whose aliases would expand to 10^9 values as the filter's configuration.
        var yaml = new System.Text.StringBuilder("filters: [{module: f.wasm, config: &l0 [x, x, x, x, x, x, x, x, x, x]}]\ntests:\n");
        for (var i = 1; i <= 8; i++)
        {
            yaml.Append($"  - name: c{i}\n    given: {{config: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]}}\n");
        }

        var error = Assert.Throws<FilterTestFileException>(() => FilterTestParser.Parse("bad.yaml", yaml.ToString()));

        Assert.Contains("aliases (*name) expand to more than a million values", error.Message, StringComparison.Ordinal);
        Assert.Equal(12, error.Line);
    }

    [Fact]
    public void Aliases_that_repeat_a_long_value_past_the_text_bound_are_refused_before_they_take_the_memory()
    {
        // Few values, but each alias of the 1 MiB body is a copy when read: 40 of them would be 40 MiB, and a few
        // thousand (a file well under its 16 MiB bound) ran the machine out of memory building the configuration.
        var yaml = "filters: [{module: f.wasm}]\ntests:\n  - name: a\n    when: {request: {body: &b \"" + new string('x', 1 << 20) + "\"}}\n" +
            "  - name: b\n    given: {config: [" + string.Join(", ", Enumerable.Repeat("*b", 40)) + "]}\n";

        var error = Assert.Throws<FilterTestFileException>(() => FilterTestParser.Parse("bad.yaml", yaml));

        Assert.Equal(6, error.Line);
        Assert.Contains("aliases (*name) repeat more than 16 MiB of text in this document", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_value_its_aliases_repeat_within_the_text_bound_is_read()
    {
        var yaml = "filters: [{module: f.wasm}]\ntests:\n  - name: a\n    when: {request: {body: &b \"" + new string('x', 1 << 20) + "\"}}\n" +
            string.Concat(Enumerable.Range(1, 8).Select(i => $"  - name: c{i}\n    when: {{request: {{body: *b}}}}\n"));

        var file = FilterTestParser.Parse("ok.yaml", yaml);

        Assert.Equal(9, file.Cases.Count);
    }

    [Fact]
    public void A_value_that_holds_itself_through_an_alias_is_refused_with_its_line_instead_of_overflowing_the_stack()
    {
        // `wasme test` on this died of a stack overflow (exit 134, no message).
        var yaml = "filters: [{module: f.wasm}]\ntests:\n  - name: a\n    when: {request: {path: /}}\n    then: {response: &r {status: 200, body: {json: *r}}}\n";

        var error = Assert.Throws<FilterTestFileException>(() => FilterTestParser.Parse("bad.yaml", yaml));

        Assert.Equal(5, error.Line);
        Assert.Contains("the alias *r sits inside the value &r it names", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_nested_past_the_limit_is_refused_with_its_line_instead_of_overflowing_the_stack()
    {
        var yaml = "filters: [{module: f.wasm}]\ntests:\n  - name: a\n    when: {request: {headers: " + new string('[', 100_000) + new string(']', 100_000) + "}}\n";

        var error = Assert.Throws<FilterTestFileException>(() => FilterTestParser.Parse("bad.yaml", yaml));

        Assert.Equal(4, error.Line);
        Assert.Contains("levels deep", error.Message, StringComparison.Ordinal);
    }
}
