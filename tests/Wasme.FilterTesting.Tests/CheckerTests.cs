using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.FilterTesting.Assertions;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Parsing;
using Wasme.Proxy.InProcess;

namespace Wasme.FilterTesting.Tests;

public sealed class CheckerTests
{
    private static readonly CaseObservation Observed = new(
        new InProcessResponse(200, [new("hello", "world"), new("content-type", "application/json")], Encoding.UTF8.GetBytes("""{"a":{"b":1,"c":[1,2]},"d":"x"}"""), [], false),
        [new UpstreamRequest("GET", "/p?q=1", [new("x-token", "t1")], [])],
        [new RecordedCall("auth", [new(":path", "/token")], [])],
        [new LogLine(LogLevel.Information, 1, "Wasme.ProxyWasm", "[f] request seen")],
        [],
        new Dictionary<string, byte[]>(),
        FilterFailed: false);

    [Theory]
    [InlineData("response: {status: 200, headers: {hello: world}}")]
    [InlineData("response: {headers: {hello: {matches: '^w.r'}, x-none: {absent: true}}}")]
    [InlineData("response: {body: {json: {a: {b: 1}}}}")]
    [InlineData("response: {body: {json: {a: {c: [1, 2]}, d: x}}}")]
    [InlineData("upstream: {called: true, path: /p?q=1, headers: {x-token: t1}}")]
    [InlineData("httpCalls: [{cluster: auth, headers: {':path': /token}}]")]
    [InlineData("logs: [{level: info, contains: request seen}, {level: error, contains: request, absent: true}]")]
    [InlineData("filterFailed: false")]
    public void Expectations_that_hold_pass(string then) => Assert.Empty(Check(then));

    [Theory]
    [InlineData("response: {status: 201}", "response.status", "200")]
    [InlineData("response: {headers: {hello: word}}", "response.headers.hello", "\"world\"")]
    [InlineData("response: {headers: {hello: {absent: true}}}", "response.headers.hello", "\"world\"")]
    [InlineData("response: {headers: {x-missing: a}}", "response.headers.x-missing", "absent (present: hello, content-type)")]
    [InlineData("response: {body: {json: {a: {b: 2}}}}", "response.body", "$.a.b is 1, expected 2")]
    [InlineData("response: {body: {json: {z: 1}}}", "response.body", "$.z is missing")]
    [InlineData("upstream: {called: false}", "upstream.called", "it received GET /p?q=1")]
    [InlineData("httpCalls: []", "httpCalls", "1 call(s) to auth")]
    [InlineData("logs: [{level: warn, contains: request seen}]", "logs", "[info] [f] request seen")]
    [InlineData("metrics: {requests: 1}", "metrics.requests", "no such metric (defined: none)")]
    [InlineData("filterFailed: true", "filterFailed", "no filter failed")]
    public void Each_broken_expectation_names_what_differs(string then, string subject, string actual)
    {
        var mismatch = Assert.Single(Check(then));

        Assert.Equal(subject, mismatch.Subject);
        Assert.Equal(actual, mismatch.Actual);
    }

    [Fact]
    public void A_multi_line_body_mismatch_comes_with_a_line_diff()
    {
        var observed = Observed with { Response = Observed.Response with { Body = Encoding.UTF8.GetBytes("one\ntwo\nthree") } };
        var file = FilterTestParser.Parse("t.yaml", "tests:\n  - name: a\n    then:\n      response:\n        body: \"one\\nTWO\\nthree\"\n");

        var mismatch = Assert.Single(ExpectationChecker.Check(file.Cases[0].Then, observed));

        Assert.Equal("--- expected\n+++ actual\n  one\n- TWO\n+ two\n  three\n", mismatch.Diff);
    }

    private static IReadOnlyList<Mismatch> Check(string then)
    {
        var file = FilterTestParser.Parse("t.yaml", $"tests:\n  - name: a\n    then: {{{then}}}\n");
        return ExpectationChecker.Check(file.Cases[0].Then, Observed);
    }
}
