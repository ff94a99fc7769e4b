using Wasme.FilterTesting.Execution;
using Wasme.Testing.Filters;

namespace Wasme.FilterTesting.Tests;

/// <summary>
/// <c>when.grpcCalls</c> answers a filter's gRPC calls and streams per cluster, service and method on virtual time, and
/// <c>then.grpcCalls</c> checks what the filter sent (issue 17). The filter writes what it received into its reply.
/// </summary>
public sealed class GrpcRunnerTests(FilterModules modules) : IClassFixture<FilterModules>
{
    private static readonly string Unary = GrpcFilters.Module(GrpcFilters.Mode.Unary, "auth"u8.ToArray());

    [Fact]
    public async Task A_unary_call_is_answered_after_its_delay_and_recorded_with_metadata_and_message()
    {
        var results = await RunAsync("""
            tests:
              - name: allowed
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Check}}
                  grpcCalls:
                    auth:
                      - {service: test.Echo, method: Other, messages: [wrong]}
                      - {service: test.Echo, method: Check, messages: [allowed], delay: 2s}
                then:
                  response: {status: 200, body: "M:allowed;"}
                  grpcCalls: [{cluster: auth, service: test.Echo, method: Check, metadata: {x-token: secret}, messages: [hello], cancelled: false}]
            """, Unary);

        Assert.True(results[0].Passed, Describe(results[0]));
    }

    [Fact]
    public async Task Statuses_failures_and_unscripted_methods_reach_proxy_on_grpc_close()
    {
        var results = await RunAsync("""
            tests:
              - name: refused with a status
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Check}}
                  grpcCalls: {auth: [{status: 7, message: "denied: 100% sure"}]}
                then:
                  response: {body: "C:denied: 100% sure;"}
                  metrics: {close_status: 7}
              - name: the cluster fails
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Check}}
                  grpcCalls: {auth: [{fail: true}]}
                then:
                  response: {body: {contains: "C:upstream connect error"}}
                  metrics: {close_status: 14}
              - name: an answer slower than the call's 5 s timeout
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Check}}
                  grpcCalls: {auth: [{messages: [late], delay: 1m}]}
                then:
                  response: {body: "C:upstream request timeout;"}
                  metrics: {close_status: 4}
              - name: no answer for the method
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Check}}
                  grpcCalls: {auth: [{method: Other}]}
                then:
                  metrics: {close_status: 12}
            """, Unary);

        Assert.All(results, r => Assert.True(r.Passed, Describe(r)));
    }

    [Fact]
    public async Task A_stream_gets_metadata_messages_as_text_or_base64_trailers_and_its_status()
    {
        var results = await RunAsync("""
            tests:
              - name: chat
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Chat}}
                  grpcCalls:
                    auth:
                      - method: Chat
                        initialMetadata: {x-served-by: script}
                        messages: [a, {base64: Yg==}]
                        trailers: {x-trailer: t}
                then:
                  response: {body: "I:script;application/grpc;M:a;M:b;T:t;C:;"}
                  grpcCalls: [{cluster: auth, method: Chat, messages: [one, {base64: dHdv}]}]
              - name: wrongly expected
                given: {filters: [{module: filter.wat}]}
                when:
                  request: {headers: {x-method: Chat}}
                  grpcCalls: {auth: [{method: Chat}]}
                then:
                  grpcCalls: [{cluster: auth, method: Talk, messages: [one]}]
            """, GrpcFilters.Module(GrpcFilters.Mode.Stream, "auth"u8.ToArray()));

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.Equal(["grpcCalls[0].method", "grpcCalls[0].messages"], results[1].Mismatches.Select(m => m.Subject));
    }

    [Fact]
    public async Task A_call_to_a_cluster_not_scripted_is_refused_as_envoy_refuses_it()
    {
        var results = await RunAsync("""
            tests:
              - name: unknown cluster
                given: {filters: [{module: filter.wat}]}
                when: {request: {headers: {x-method: Check}}}
                then:
                  response: {status: 200}
                  upstream: {called: true}
                  metrics: {call_status: 4}
                  grpcCalls: []
            """, Unary);

        Assert.True(results[0].Passed, Describe(results[0]));
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
