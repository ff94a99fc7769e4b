using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Wasme.FilterTesting.Assertions;
using Wasme.FilterTesting.Model;
using Wasme.Proxy.Filters;
using Wasme.Proxy.InProcess;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Execution;

/// <summary>
/// Runs cases in-process: each on a fresh runtime and fresh plugins, on virtual time, through the same data plane
/// <c>wasme run</c> uses, to a scripted upstream and scripted clusters.
/// </summary>
public sealed class FilterTestRunner(Func<FilterSpec, CancellationToken, Task<ResolvedModule>> resolveModule, string? compilationCacheDirectory)
{
    /// <summary>Virtual time every case starts at, so time-dependent output is the same on every run.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How long a request may make no progress (real time) before virtual time jumps to the next deadline.</summary>
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);

    private readonly Dictionary<string, ResolvedModule> _modules = new(StringComparer.Ordinal);

    public async Task<CaseResult> RunAsync(FilterTestCase testCase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var started = Stopwatch.GetTimestamp();
        var time = new FakeTimeProvider(Epoch);
        var logs = new CapturedLogs();
        using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        using var runtime = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions { CompilationCacheDirectory = compilationCacheDirectory }, time, loggerFactory);
        var grpcCalls = new ScriptedGrpcCalls(testCase.When.GrpcCalls, time);
        var calls = new ScriptedHttpCalls(testCase.When.HttpCalls, time) { Grpc = grpcCalls };
        var plugins = new List<ProxyWasmPlugin>();
        var modules = new List<ProxyWasmModule>();
        try
        {
            var factories = new List<IHttpFilterFactory>();
            var given = testCase.Given;
            for (var i = 0; i < given.Filters.Count; i++)
            {
                var spec = given.Filters[i];
                var module = await LoadAsync(spec, cancellationToken);
                var name = spec.Name ?? (given.Filters.Count == 1 ? module.Name : $"{module.Name}-{i + 1}");
                var compiled = module.IsText ? runtime.LoadModuleFromText(Encoding.UTF8.GetString(module.Bytes), name) : runtime.LoadModule(module.Bytes, name);
                modules.Add(compiled);
                if (i == 0)
                {
                    foreach (var (key, value) in given.SharedData)
                    {
                        runtime.SetSharedData(spec.VmId, key, Encoding.UTF8.GetBytes(value));
                    }
                }

                var plugin = runtime.CreatePlugin(compiled, new PluginConfiguration
                {
                    Name = name,
                    VmId = spec.VmId,
                    RootId = spec.RootId ?? module.RootId ?? string.Empty,
                    Configuration = spec.Configuration,
                    VmConfiguration = spec.VmConfiguration,
                    Environment = spec.Environment,
                    FailurePolicy = spec.FailurePolicy,
                    NodeProperties = given.Node,
                    Workers = 1,
                }, calls);
                plugins.Add(plugin);
                factories.Add(new ProxyWasmFilterFactory(plugin));
            }

            var queueVmId = given.Filters.Count > 0 ? given.Filters[0].VmId : string.Empty;
            foreach (var queue in given.Queues)
            {
                runtime.RegisterSharedQueue(queueVmId, queue);
            }

            using var upstream = new ScriptedUpstream(testCase.When.Upstream);
            using var proxy = new InProcessProxy(factories, upstream, given.BodyBufferLimit, given.StreamIdleTimeout, loggerFactory, time);
            if (testCase.When.Advance > TimeSpan.Zero)
            {
                time.Advance(testCase.When.Advance);
            }

            foreach (var message in testCase.When.QueueMessages)
            {
                var vmId = message.VmId ?? queueVmId;
                if (!await runtime.EnqueueSharedQueueAsync(vmId, message.Queue, message.Message))
                {
                    return new CaseResult(testCase.Name, testCase.Line, [], null, Stopwatch.GetElapsedTime(started),
                        $"queueMessages (line {message.Line}): no filter registered queue '{message.Queue}' in VM id '{vmId}'; check the name, or set vmId to the VM id of the filter that calls proxy_register_shared_queue");
                }
            }

            var request = ToRequest(testCase.When.Request);
            var mismatches = new List<Mismatch>();
            CaseObservation? observation = null;
            var upstreamSeen = 0;
            var callsSeen = 0;
            var grpcSeen = 0;
            for (var round = 0; round < testCase.When.Repeat && mismatches.Count == 0; round++)
            {
                var response = await SendAsync(proxy, request, time, calls, given.StreamIdleTimeout, cancellationToken);

                // A request cut short by Ctrl-C ends as the proxy's 502: that is the run stopping, not the filter failing.
                cancellationToken.ThrowIfCancellationRequested();
                var upstreamRequests = upstream.Requests;
                var recordedCalls = calls.Calls;
                observation = new CaseObservation(
                    response,
                    upstreamRequests.Skip(upstreamSeen).ToList(),
                    recordedCalls.Skip(callsSeen).ToList(),
                    logs.Lines,
                    runtime.GetMetrics(),
                    ReadSharedData(runtime, plugins, testCase.Then),
                    proxy.Metrics.FilterFailures.Any(f => f.Value > 0) || logs.Lines.Any(IsVmFailure))
                {
                    Queues = testCase.Then.Queues.Keys.ToDictionary(name => name, name => runtime.DrainSharedQueue(queueVmId, name), StringComparer.Ordinal),
                    GrpcCalls = grpcCalls.Calls.Skip(grpcSeen).ToList(),
                };
                grpcSeen += observation.GrpcCalls.Count;
                upstreamSeen = upstreamRequests.Count;
                callsSeen = recordedCalls.Count;
                mismatches.AddRange(ExpectationChecker.Check(testCase.Then, observation));
                if (mismatches.Count > 0 && testCase.When.Repeat > 1)
                {
                    mismatches.Insert(0, new Mismatch("repeat", $"all {testCase.When.Repeat} requests to pass", $"request {round + 1} failed"));
                }
            }

            return new CaseResult(testCase.Name, testCase.Line, mismatches, observation, Stopwatch.GetElapsedTime(started), null);
        }
        catch (ProxyWasmException ex)
        {
            return new CaseResult(testCase.Name, testCase.Line, [], null, Stopwatch.GetElapsedTime(started), $"the filter did not start: {ex.Message}");
        }
        catch (FilterModuleException ex)
        {
            return new CaseResult(testCase.Name, testCase.Line, [], null, Stopwatch.GetElapsedTime(started), $"the module did not load: {ex.Message}");
        }
        catch (RegexMatchTimeoutException ex)
        {
            return new CaseResult(testCase.Name, testCase.Line, [], null, Stopwatch.GetElapsedTime(started),
                $"the pattern '{ex.Pattern}' took over {ex.MatchTimeout.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms to match what was observed; write one that backtracks less (no nested repeats such as (a+)+)");
        }
        finally
        {
            foreach (var plugin in plugins)
            {
                plugin.Dispose();
            }

            foreach (var module in modules)
            {
                module.Dispose();
            }
        }
    }

    private async Task<ResolvedModule> LoadAsync(FilterSpec spec, CancellationToken cancellationToken)
    {
        var key = spec.Module ?? string.Empty;
        if (!_modules.TryGetValue(key, out var module))
        {
            module = await resolveModule(spec, cancellationToken);
            _modules[key] = module;
        }

        return module;
    }

    private static bool IsVmFailure(LogLine line) => line.EventId == 2 && line.Category.StartsWith("Wasme.ProxyWasm", StringComparison.Ordinal);

    private static Dictionary<string, byte[]> ReadSharedData(ProxyWasmRuntime runtime, List<ProxyWasmPlugin> plugins, ThenSpec then)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (plugins.Count == 0)
        {
            return values;
        }

        foreach (var key in then.SharedData.Keys)
        {
            if (runtime.TryGetSharedData(plugins[0].Configuration.VmId, key, out var value))
            {
                values[key] = value;
            }
        }

        return values;
    }

    private static InProcessRequest ToRequest(RequestSpec spec) => new()
    {
        Method = spec.Method,
        PathAndQuery = spec.Path,
        Authority = spec.Authority,
        Headers = spec.Headers,
        BodyChunks = [.. spec.Body.Select(chunk => (ReadOnlyMemory<byte>)chunk)],
        Trailers = spec.Trailers,
    };

    /// <summary>
    /// Sends one request and moves virtual time only when the request cannot progress without it: to the next
    /// delayed http_call answer, else (a filter holding the stream with nothing pending) past the stream idle timeout.
    /// </summary>
    private static async Task<InProcessResponse> SendAsync(InProcessProxy proxy, InProcessRequest request, FakeTimeProvider time,
        ScriptedHttpCalls calls, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var send = proxy.SendAsync(request, cancellationToken);
        var quietSince = Stopwatch.GetTimestamp();
        while (!send.IsCompleted)
        {
            await Task.WhenAny(send, Task.Delay(TimeSpan.FromMilliseconds(1), cancellationToken));
            if (send.IsCompleted)
            {
                break;
            }

            if (calls.NextDue is { } due)
            {
                if (due > time.GetUtcNow())
                {
                    time.Advance(due - time.GetUtcNow());
                }

                quietSince = Stopwatch.GetTimestamp();
            }
            else if (ThreadPool.PendingWorkItemCount > 0)
            {
                // Work is queued (the host starts http_calls and delivers their answers on pool threads): not quiet yet.
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(quietSince) > QuietPeriod)
            {
                time.Advance(idleTimeout);
                quietSince = Stopwatch.GetTimestamp();
            }
        }

        return await send;
    }
}
