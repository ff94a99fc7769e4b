using Wasme.FilterTesting.Execution;
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

    private async Task<IReadOnlyList<CaseResult>> RunAsync(string yaml, string wat)
    {
        var path = modules.WriteTestFile(yaml, wat);
        var results = await modules.Suite().RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        return Assert.Single(results).Cases;
    }

    private static string Describe(CaseResult result)
    {
        using var writer = new StringWriter();
        Reporting.TextReport.WriteCase(writer, "test", result);
        return writer.ToString();
    }
}
