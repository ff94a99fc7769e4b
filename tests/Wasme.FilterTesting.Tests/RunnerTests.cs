using System.Xml.Linq;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Reporting;

namespace Wasme.FilterTesting.Tests;

/// <summary>
/// The runner against real AssemblyScript filters: each given/when/then item of the format changes what a case
/// observes, and a case whose expectation is wrong fails with what differs.
/// </summary>
public sealed class RunnerTests(FilterModules modules) : IClassFixture<FilterModules>
{
    [Fact]
    public async Task The_template_filter_passes_its_test_and_a_wrong_expectation_fails_with_the_difference()
    {
        var results = await RunAsync("""
            filters: [{module: $ADD_HEADER, rootId: add_header, config: tomorrow}]
            tests:
              - name: configured value
                then: {response: {status: 200, headers: {hello: tomorrow}}}
              - name: default value
                given: {config: ""}
                then: {response: {headers: {hello: world}}}
              - name: wrong expectation
                then: {response: {headers: {hello: today}}}
            """);

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.True(results[1].Passed, Describe(results[1]));
        var mismatch = Assert.Single(results[2].Mismatches);
        Assert.Equal(("response.headers.hello", "\"today\"", "\"tomorrow\""), (mismatch.Subject, mismatch.Expected, mismatch.Actual));
    }

    [Fact]
    public async Task A_local_reply_never_reaches_the_upstream()
    {
        var results = await RunAsync("""
            filters: [{module: $BEHAVIOURS, rootId: deny}]
            tests:
              - name: denied
                when: {request: {headers: {x-deny: "1"}}}
                then:
                  response: {status: 403, headers: {x-denied-by: wasm}, body: "forbidden by filter\n"}
                  upstream: {called: false}
              - name: allowed
                when: {request: {path: /ok}, upstream: {status: 204}}
                then:
                  response: {status: 204}
                  upstream: {called: true, path: /ok}
            """);

        Assert.All(results, r => Assert.True(r.Passed, Describe(r)));
    }

    [Fact]
    public async Task Bodies_in_chunks_are_rewritten_on_both_sides()
    {
        var results = await RunAsync("""
            filters: [{module: $BEHAVIOURS, rootId: body_rewrite}]
            tests:
              - name: rewrite
                when:
                  request: {method: POST, bodyChunks: [hel, lo]}
                  upstream: {bodyChunks: ["up", "stream"]}
                then:
                  upstream: {method: POST, body: HELLO}
                  response: {body: "[upstream]"}
            """);

        Assert.True(results[0].Passed, Describe(results[0]));
    }

    [Fact]
    public async Task Http_calls_are_answered_per_cluster_on_virtual_time_and_recorded()
    {
        var results = await RunAsync("""
            filters: [{module: $BEHAVIOURS, rootId: http_call}]
            tests:
              - name: token after a delay
                when: {httpCalls: {auth: {body: t-42, delay: 2s}}}
                then:
                  upstream: {headers: {x-token: t-42}}
                  httpCalls: [{cluster: auth, headers: {":path": /token, ":method": GET}}]
              - name: the cluster fails
                when: {httpCalls: {auth: {fail: true}}}
                then:
                  response: {status: 503, body: "auth call failed\n"}
                  upstream: {called: false}
              - name: an answer slower than the stream idle timeout (the call's own timeout is 5 s)
                given: {streamIdleTimeout: 3s}
                when: {httpCalls: {auth: {body: late, delay: 4s}}}
                then:
                  response: {status: 408}
              - name: an answer slower than the call's own timeout fails the call
                when: {httpCalls: {auth: {body: late, delay: 1m}}}
                then:
                  response: {status: 503, body: "auth call failed\n"}
            """);

        Assert.All(results, r => Assert.True(r.Passed, Describe(r)));
        Assert.True(results[0].Elapsed < TimeSpan.FromSeconds(30), "virtual time, not real time, passes for the delay");
    }

    [Fact]
    public async Task Ticks_fire_as_virtual_time_advances_and_metrics_count_requests()
    {
        var results = await RunAsync("""
            tests:
              - name: ten ticks in a second
                given: {filters: [{module: $BEHAVIOURS, rootId: tick}]}
                when: {advance: 1s}
                then: {response: {headers: {x-ticks: "10"}}}
              - name: no time, no tick
                given: {filters: [{module: $BEHAVIOURS, rootId: tick}]}
                then: {response: {headers: {x-ticks: "0"}}}
              - name: counter
                given: {filters: [{module: $BEHAVIOURS, rootId: metric}]}
                when: {repeat: 3}
                then: {metrics: {requests_seen: 3}}
            """);

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.True(results[1].Passed, Describe(results[1]));
        // Every request must meet the expectation; the counter reaches 3 only on the last one.
        Assert.False(results[2].Passed);
        Assert.Equal("request 1 failed", results[2].Mismatches[0].Actual);
        Assert.Equal("1", results[2].Mismatches[1].Actual);
    }

    [Fact]
    public async Task A_chain_shares_data_and_given_shared_data_is_seen()
    {
        var results = await RunAsync("""
            filters:
              - {module: $BEHAVIOURS, rootId: shared_writer, name: writer}
              - {module: $BEHAVIOURS, rootId: shared_reader, name: reader}
            tests:
              - name: the reader sees what the writer stored
                when: {request: {path: /seen}}
                then:
                  response: {headers: {x-shared: /seen}}
                  sharedData: {last_path: /seen}
              - name: seeded
                given:
                  filters: [{module: $BEHAVIOURS, rootId: shared_reader}]
                  sharedData: {last_path: /seeded}
                then: {response: {headers: {x-shared: /seeded}}}
            """);

        Assert.All(results, r => Assert.True(r.Passed, Describe(r)));
    }

    [Fact]
    public async Task Bodies_tagged_binary_are_sent_as_their_bytes_and_compared_byte_for_byte()
    {
        // YAML's !!binary is base64 of exact bytes. Before, it was sent as its base64 text, and bodies were compared as
        // UTF-8 text, where every invalid byte reads as U+FFFD: 0xFF matched 0xFE and a body of 0xFF matched "\uFFFD".
        var results = await RunAsync("""
            filters: [{module: $ADD_HEADER, rootId: add_header}]
            tests:
              - name: bytes both ways
                when:
                  request: {method: POST, body: !!binary "/wAB"}
                  upstream: {body: !!binary "aGk="}
                then:
                  upstream: {body: !!binary "/wAB"}
                  response: {body: hi}
              - name: another invalid byte
                when: {upstream: {body: !!binary "/w=="}}
                then: {response: {body: !!binary "/g=="}}
              - name: the replacement character is not the byte it replaced
                when: {upstream: {body: !!binary "/w=="}}
                then: {response: {body: "\uFFFD"}}
              - name: body chunks too
                when:
                  request: {method: POST, bodyChunks: [!!binary "/w==", !!binary "/g=="]}
                then: {upstream: {body: !!binary "//4="}}
            """);

        Assert.True(results[0].Passed, Describe(results[0]));
        var other = Assert.Single(results[1].Mismatches);
        Assert.Equal(("response.body", "!!binary \"/g==\"", "!!binary \"/w==\""), (other.Subject, other.Expected, other.Actual));
        var replacement = Assert.Single(results[2].Mismatches);
        Assert.Equal("!!binary \"/w==\"", replacement.Actual);
        Assert.True(results[3].Passed, Describe(results[3]));
    }

    [Fact]
    public async Task Update_writes_a_body_that_is_not_utf8_as_binary_so_the_file_keeps_its_bytes()
    {
        var path = modules.WriteTestFile("""
            filters: [{module: $ADD_HEADER, rootId: add_header}]
            tests:
              - name: invalid utf-8 from the upstream
                when: {upstream: {body: !!binary "/wBh"}}
            """);

        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, null, CancellationToken.None);
        var updated = await File.ReadAllTextAsync(path);
        var again = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        File.WriteAllText(path, updated.Replace("/wBh", "/gBh", StringComparison.Ordinal).Replace("when: {upstream: {body: !!binary \"/gBh\"}}", "when: {upstream: {body: !!binary \"/wBh\"}}", StringComparison.Ordinal));
        var changed = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);

        // Once where the upstream sends it, once in the recorded response.
        Assert.Equal(2, updated.Split("body: !!binary \"/wBh\"").Length - 1);
        Assert.True(again[0].Cases[0].Passed, Describe(again[0].Cases[0]) + "\n" + updated);
        Assert.False(changed[0].Cases[0].Passed, "a recorded body one byte off still passed:\n" + File.ReadAllText(path));
    }

    [Fact]
    public async Task Update_records_the_observed_response_and_keeps_the_rest_of_the_file()
    {
        var path = modules.WriteTestFile("""
            # comments stay
            filters: [{module: $ADD_HEADER, rootId: add_header, config: tomorrow}]
            tests:
              - name: stale
                when: {upstream: {body: hi}}
                then:
                  response:
                    status: 500
                  upstream: {called: true}
              - name: no expectation yet
                when: {upstream: {status: 202}}
            """);

        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, null, CancellationToken.None);
        var updated = await File.ReadAllTextAsync(path);
        var again = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);

        Assert.All(again[0].Cases, r => Assert.True(r.Passed, Describe(r) + "\n" + updated));
        Assert.StartsWith("# comments stay\n", updated, StringComparison.Ordinal);
        Assert.Contains("upstream: {called: true}", updated, StringComparison.Ordinal);
        Assert.Contains("status: 202", updated, StringComparison.Ordinal);
        Assert.Contains("\"hello\": \"tomorrow\"", updated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_leaves_anchored_and_aliased_responses_as_written_and_the_file_valid()
    {
        // An alias resolves to the anchored node of another case: editing "its" response would edit that one, twice.
        var path = modules.WriteTestFile("""
            filters: [{module: $ADD_HEADER, rootId: add_header, config: tomorrow}]
            tests:
              - name: anchored block
                then:
                  response: &created
                    status: 201
              - name: aliased
                then:
                  response: *created
              - name: anchored flow
                then: {response: &accepted {status: 202}}
              - name: plain
                then: {response: {status: 500}}
            """);

        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, null, CancellationToken.None);
        var updated = await File.ReadAllTextAsync(path);
        var again = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);

        Assert.Equal([false, false, false, true], again[0].Cases.Select(c => c.Passed));
        Assert.Contains("response: &created\n        status: 201\n", updated, StringComparison.Ordinal);
        Assert.Contains("response: *created\n", updated, StringComparison.Ordinal);
        Assert.Contains("{response: &accepted {status: 202}}", updated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_keeps_a_crlf_file_crlf_on_every_line_it_writes()
    {
        var path = modules.WriteTestFile("""
            filters: [{module: $ADD_HEADER, rootId: add_header, config: tomorrow}]
            tests:
              - name: stale block
                then:
                  response:
                    status: 500
              - name: no expectation yet
                when: {upstream: {status: 202}}
              - name: last
            """.ReplaceLineEndings("\r\n") + "\r\n");

        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, null, CancellationToken.None);
        var updated = await File.ReadAllTextAsync(path);
        var again = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);

        Assert.All(again[0].Cases, r => Assert.True(r.Passed, Describe(r) + "\n" + updated));
        Assert.Contains("status: 202", updated, StringComparison.Ordinal);
        Assert.Equal(updated.Split('\n').Length - 1, updated.Split("\r\n").Length - 1);
        Assert.DoesNotContain("\r\r", updated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JUnit_report_lists_every_case_with_its_failure()
    {
        var path = modules.WriteTestFile("""
            filters: [{module: $ADD_HEADER, rootId: add_header}]
            tests:
              - name: passes
                then: {response: {headers: {hello: world}}}
              - name: fails
                then: {response: {status: 418}}
            """);
        var results = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        var report = Path.Combine(Path.GetDirectoryName(path)!, "out", "junit.xml");

        JUnitReport.Write(report, results);

        var suite = XDocument.Load(report).Root!.Element("testsuite")!;
        Assert.Equal(("2", "1"), (suite.Attribute("tests")!.Value, suite.Attribute("failures")!.Value));
        var failure = suite.Elements("testcase").Single(c => c.Attribute("name")!.Value == "fails").Element("failure")!;
        Assert.Contains("response.status", failure.Value, StringComparison.Ordinal);
        Assert.Null(suite.Elements("testcase").Single(c => c.Attribute("name")!.Value == "passes").Element("failure"));
    }

    [Fact]
    public void JUnit_report_totals_agree_with_its_suites_errors_apart_from_failures()
    {
        var report = Path.Combine(Directory.CreateTempSubdirectory("junit-").FullName, "junit.xml");
        var failed = new Assertions.Mismatch("response.status", "201", "200", null);
        var results = new[]
        {
            new FileResult("a.yaml", [
                new CaseResult("passes", 2, [], null, TimeSpan.FromMilliseconds(250), null),
                new CaseResult("fails", 4, [failed], null, TimeSpan.FromMilliseconds(500), null),
                new CaseResult("module is not WebAssembly", 6, [], null, TimeSpan.FromMilliseconds(125), "not a WebAssembly module")]),
            new FileResult("b.yaml", [new CaseResult("fails too", 2, [failed], null, TimeSpan.FromMilliseconds(125), null)]),
        };

        JUnitReport.Write(report, results);

        var root = XDocument.Load(report).Root!;
        var totals = new[] { "tests", "failures", "errors" }.Select(a => root.Attribute(a)?.Value ?? "absent").ToArray();
        var sums = new[] { "tests", "failures", "errors" }
            .Select(a => root.Elements("testsuite").Sum(s => int.Parse(s.Attribute(a)!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(["4", "2", "1"], totals);
        Assert.Equal(sums, totals);
        Assert.Equal("1.000", root.Attribute("time")?.Value);
    }

    [Fact]
    public void JUnit_report_stays_valid_xml_when_names_and_errors_hold_control_characters()
    {
        var report = Path.Combine(Directory.CreateTempSubdirectory("junit-").FullName, "junit.xml");
        var results = new[]
        {
            new FileResult("t.yaml", [new CaseResult("bell \u0007 case", 3, [], null, TimeSpan.Zero, "the filter logged \0 and \u001b[31m")]),
        };

        JUnitReport.Write(report, results);

        var testCase = XDocument.Load(report).Root!.Element("testsuite")!.Element("testcase")!;
        Assert.Equal("bell \\u0007 case", testCase.Attribute("name")!.Value);
        Assert.Contains("logged \\u0000 and \\u001b[31m", testCase.Element("error")!.Value, StringComparison.Ordinal);
        Assert.Equal(["junit.xml"], Directory.GetFiles(Path.GetDirectoryName(report)!).Select(Path.GetFileName));
    }

    private async Task<IReadOnlyList<CaseResult>> RunAsync(string yaml)
    {
        var path = modules.WriteTestFile(yaml);
        var results = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        return Assert.Single(results).Cases;
    }

    private static string Describe(CaseResult result)
    {
        using var writer = new StringWriter();
        TextReport.WriteCase(writer, "test", result);
        return writer.ToString();
    }
}
