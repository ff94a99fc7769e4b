using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Reporting;
using Wasme.Testing.Filters;

namespace Wasme.FilterTesting.Tests;

/// <summary>
/// The runner with filters written in WebAssembly text, for what the AssemblyScript SDK cannot show: traps and the
/// failure policy, VM configuration, node properties and the filter's own log lines.
/// </summary>
public sealed class WatRunnerTests(FilterModules modules) : IClassFixture<FilterModules>
{
    [Fact]
    public async Task A_trapping_filter_fails_closed_or_open_as_its_policy_says()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable)
            """);

        var results = await RunAsync("""
            tests:
              - name: fail closed
                given: {filters: [{module: filter.wat}]}
                then:
                  response: {status: 503}
                  upstream: {called: false}
                  filterFailed: true
                  logs: [{level: error, contains: VM failed in proxy_on_request_headers}]
              - name: fail open
                given: {filters: [{module: filter.wat, failurePolicy: fail-open}]}
                then:
                  response: {status: 200}
                  upstream: {called: true}
                  filterFailed: true
              - name: wrongly expected healthy
                given: {filters: [{module: filter.wat}]}
                then: {filterFailed: false}
            """, module);

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.True(results[1].Passed, Describe(results[1]));
        Assert.Equal("filterFailed", Assert.Single(results[2].Mismatches).Subject);
    }

    [Fact]
    public async Task A_filter_failure_the_case_does_not_expect_fails_it_naming_the_trap()
    {
        // Under fail-open the trap is invisible in the response: only the failure itself can fail these cases.
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable)
            """);

        var results = await RunAsync("""
            filters: [{module: filter.wat, failurePolicy: fail-open}]
            tests:
              - name: checks only what reached the upstream
                then: {upstream: {called: true}}
              - name: checks nothing
            """, module);

        Assert.All(results, result =>
        {
            Assert.False(result.Passed, Describe(result));
            var mismatch = Assert.Single(result.Mismatches);
            Assert.Equal("filterFailed", mismatch.Subject);
            Assert.Contains("filterFailed: true", mismatch.Expected, StringComparison.Ordinal);
            Assert.Contains("VM failed in proxy_on_request_headers", mismatch.Actual, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Vm_configuration_node_properties_and_log_lines_reach_the_case()
    {
        var wat = new Wat();
        var module = wat.Module($$"""
            (func (export "proxy_on_vm_start") (param i32) (param $size i32) (result i32)
              (drop (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
              (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4))))
              (i32.const 1))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_get_property {{wat.Str("node\0id")}} (i32.const 0) (i32.const 4)))
              {{wat.AddReturnedAsHeader(0, "x-node-id")}}
              (i32.const 0))
            """);

        var results = await RunAsync("""
            filters: [{module: filter.wat, vmConfig: {mode: strict}}]
            node: {id: sidecar~10.1.2.3~details-v1.bookinfo~bookinfo.svc.cluster.local}
            tests:
              - name: sees its node and logs its VM configuration
                then:
                  upstream: {headers: {x-node-id: sidecar~10.1.2.3~details-v1.bookinfo~bookinfo.svc.cluster.local}}
                  logs: [{level: info, contains: '{"mode":"strict"}'}]
              - name: a log line that did not happen
                then:
                  logs: [{level: info, contains: lenient}]
            """, module);

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.Equal("logs", Assert.Single(results[1].Mismatches).Subject);
    }

    [Fact]
    public async Task An_http_call_answer_slower_than_the_calls_own_timeout_fails_the_call_as_Envoy_does()
    {
        // The filter asks 'auth' with a 500 ms timeout (or none) and answers 503 when the call fails, as SDK filters do.
        var wat = new Wat();
        var headers = Serialized((":method", "GET"), (":path", "/check"), (":authority", "auth"));
        var module = wat.Module($$"""
            (global $stream (mut i32) (i32.const 0))
            (func (export "proxy_on_context_create") (param i32 i32))
            (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
            (func (export "proxy_on_request_headers") (param $context i32) (param i32 i32) (result i32)
              (global.set $stream (local.get $context))
              (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str("x-timeout")}} (i32.const 0) (i32.const 4)))
              (drop (call $proxy_http_call {{wat.Str("auth")}} {{wat.Str(headers)}} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                (select (i32.const 0) (i32.const 500) (i32.load (i32.const 4))) (i32.const 8)))
              (i32.const 1))
            (func (export "proxy_on_http_call_response") (param i32 i32) (param $headers i32) (param i32 i32)
              (drop (call $proxy_set_effective_context (global.get $stream)))
              (if (i32.eqz (local.get $headers))
                (then (drop (call $proxy_send_local_response (i32.const 503) (i32.const 0) (i32.const 0) {{wat.Str("call failed")}} (i32.const 0) (i32.const 0) (i32.const -1))))
                (else (drop (call $proxy_continue_stream (i32.const 0))))))
            """);

        var results = await RunAsync("""
            filters: [{module: filter.wat, rootId: ""}]
            tests:
              - name: answered before the timeout
                when: {httpCalls: {auth: {delay: 499ms}}}
                then: {response: {status: 200}}
              - name: answered after the timeout
                when: {httpCalls: {auth: {delay: 1s}}}
                then: {response: {status: 503, body: call failed}, upstream: {called: false}}
              - name: no timeout waits for the answer
                when: {request: {headers: {x-timeout: none}}, httpCalls: {auth: {delay: 1m}}}
                then: {response: {status: 200}}
            """, module);

        Assert.All(results, result => Assert.True(result.Passed, Describe(result)));
    }

    private static string Serialized(params (string Name, string Value)[] pairs)
    {
        var builder = new System.Text.StringBuilder();
        void Word(int value) => builder.Append((char)(value & 0xff)).Append((char)((value >> 8) & 0xff)).Append('\0').Append('\0');
        Word(pairs.Length);
        foreach (var (name, value) in pairs)
        {
            Word(name.Length);
            Word(value.Length);
        }

        foreach (var (name, value) in pairs)
        {
            builder.Append(name).Append('\0').Append(value).Append('\0');
        }

        return builder.ToString();
    }

    [Fact]
    public async Task A_pattern_that_backtracks_past_its_time_limit_fails_its_case_naming_the_pattern()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
            """);

        var results = await RunAsync("""
            tests:
              - name: catastrophic pattern
                given: {filters: [{module: filter.wat}]}
                when: {upstream: {body: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!}}
                then: {response: {body: {matches: "^(a+)+$"}}}
              - name: the next case still runs
                given: {filters: [{module: filter.wat}]}
                then: {response: {status: 200}}
            """, module);

        Assert.False(results[0].Passed);
        Assert.Contains("^(a+)+$", results[0].Error, StringComparison.Ordinal);
        Assert.True(results[1].Passed, Describe(results[1]));
    }

    [Fact]
    public async Task Cancelling_a_run_mid_request_cancels_the_case_instead_of_failing_it()
    {
        var wat = new Wat();
        var path = modules.WriteTestFile("""
            tests:
              - name: many requests
                given: {filters: [{module: filter.wat}]}
                when: {repeat: 1000000}
                then: {response: {status: 200}}
            """, wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
            """));
        var reported = new List<CaseResult>();
        using var cancellation = new CancellationTokenSource();
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(300)); // long before a million requests are through

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, (_, result) => reported.Add(result), cancellation.Token));

        Assert.Empty(reported);
    }

    [Fact]
    public async Task Update_writes_nothing_over_a_file_edited_while_its_cases_ran()
    {
        // The recorded text is built from the file as it was read: written over an edit saved meanwhile, it lost the edit.
        var path = StaleExpectationFile();
        var edited = File.ReadAllText(path) + "  - name: written while the run was under way\n";

        var error = await Assert.ThrowsAsync<FilterTestFileChangedException>(() => modules.Suite().RunAsync(
            new FilterTestOptions { Paths = [path], Update = true }, (_, _) => File.WriteAllText(path, edited), CancellationToken.None));

        Assert.Equal(edited, File.ReadAllText(path));
        Assert.Contains("changed while its cases ran; --update wrote nothing to it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_leaves_alone_a_file_another_update_already_recorded()
    {
        // Two `wasme test --update` runs of one file: the second finds what it would write already there.
        var path = StaleExpectationFile();
        var original = File.ReadAllText(path);
        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, null, CancellationToken.None);
        var recorded = File.ReadAllText(path);
        File.WriteAllText(path, original);

        await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path], Update = true }, (_, _) => File.WriteAllText(path, recorded), CancellationToken.None);

        Assert.Equal(recorded, File.ReadAllText(path));
    }

    [Fact]
    public void A_case_that_could_not_run_shows_each_line_of_its_reason_under_it()
    {
        var result = new CaseResult("starts", 3, [], null, TimeSpan.Zero, "the filter did not start: trap\nwasm backtrace:\n    0: 0xe3");

        var text = Describe(result);

        Assert.Equal(["FAIL  test:3  starts  (0 ms)", "      the filter did not start: trap", "      wasm backtrace:", "          0: 0xe3"], text.TrimEnd('\n').Split('\n'));
    }

    private async Task<IReadOnlyList<CaseResult>> RunAsync(string yaml, string wat)
    {
        var path = modules.WriteTestFile(yaml, wat);
        var results = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        return Assert.Single(results).Cases;
    }

    private static string Describe(CaseResult result)
    {
        using var writer = new StringWriter();
        TextReport.WriteCase(writer, "test", result);
        return writer.ToString();
    }

    // A pass-through filter and a case expecting 500: --update has a 200 to record.
    private string StaleExpectationFile() => modules.WriteTestFile("""
        filters: [{module: filter.wat}]
        tests:
          - name: stale
            then: {response: {status: 500}}
        """, new Wat().Module("""
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
        """));
}
