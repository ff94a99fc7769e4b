using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;
using Wasme.Testing.Filters;

namespace Wasme.FilterTesting.Tests;

/// <summary>
/// Queue messages in <c>wasme test</c> (issue 17): <c>when.queueMessages</c> delivers to a queue a filter registered, and
/// <c>then.queues</c> reads what filters enqueued to a queue the case registered. The filter follows the Go and Rust
/// SDKs' shared-queue pattern: its root context registers a queue at configure and dequeues in proxy_on_queue_ready.
/// </summary>
public sealed class QueueRunnerTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-queue-tests-");

    private static string Module()
    {
        var wat = new Wat();
        return wat.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_register_shared_queue {{wat.Str("config")}} (i32.const 16)))
              (i32.const 1))
            (func (export "proxy_on_queue_ready") (param i32) (param $queue i32)
              (if (i32.eqz (call $proxy_dequeue_shared_queue (local.get $queue) (i32.const 0) (i32.const 4)))
                (then
                  (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4))))
                  (drop (call $proxy_set_shared_data {{wat.Str("mode")}} (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.const 0))))))
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (if (i32.eqz (call $proxy_get_shared_data {{wat.Str("mode")}} (i32.const 0) (i32.const 4) (i32.const 8)))
                (then {{wat.AddReturnedAsHeader(0, "x-mode")}}))
              (if (i32.eqz (call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) {{wat.Str("events")}} (i32.const 16)))
                (then
                  (drop (call $proxy_get_header_map_value (i32.const 0) {{wat.Str(":path")}} (i32.const 0) (i32.const 4)))
                  (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 16)) (i32.load (i32.const 0)) (i32.load (i32.const 4))))))
              (i32.const 0))
            """);
    }

    [Fact]
    public async Task A_delivered_message_reaches_the_filter_and_what_it_enqueues_is_checked()
    {
        var results = await RunAsync("""
            filters: [{module: filter.wat}]
            queues: [events]
            tests:
              - name: the filter applies the mode it was sent and reports the request
                when:
                  queueMessages: [{queue: config, message: strict}]
                  request: {path: /orders}
                then:
                  upstream: {headers: {x-mode: strict}}
                  logs: [{level: info, contains: strict}]
                  sharedData: {mode: strict}
                  queues: {events: [/orders]}
              - name: no message, no mode
                then:
                  upstream: {headers: {x-mode: {absent: true}}}
                  queues: {events: [/]}
              - name: a wrong expectation of the queue shows a diff
                when: {request: {path: /a}}
                then: {queues: {events: [/b]}}
              - name: a queue nobody registered
                when:
                  queueMessages: [{queue: confg, message: strict}]
            """);

        Assert.True(results[0].Passed, Describe(results[0]));
        Assert.True(results[1].Passed, Describe(results[1]));
        var mismatch = Assert.Single(results[2].Mismatches);
        Assert.Equal("queues.events", mismatch.Subject);
        Assert.Contains("/a", mismatch.Actual, StringComparison.Ordinal);
        Assert.Contains("no filter registered queue 'confg' in VM id ''", results[3].Error, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private async Task<IReadOnlyList<CaseResult>> RunAsync(string yaml)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory.FullName, "filter.wat"), Module());
        var path = Path.Combine(_directory.FullName, "filter.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var suite = new FilterTestSuite(new FilterTestRunner(ResolveAsync, compilationCacheDirectory: null));
        var results = await suite.RunAsync(new FilterTestOptions { Paths = [path] }, null, CancellationToken.None);
        return Assert.Single(results).Cases;
    }

    private static async Task<ResolvedModule> ResolveAsync(FilterSpec spec, CancellationToken cancellationToken) =>
        new(await File.ReadAllBytesAsync(spec.Module!, cancellationToken), Path.GetFileNameWithoutExtension(spec.Module!), null, IsText: true);

    private static string Describe(CaseResult result)
    {
        using var writer = new StringWriter();
        Reporting.TextReport.WriteCase(writer, "test", result);
        return writer.ToString();
    }
}
