using Wasme.ProxyWasm.Tests.Infrastructure;

using Microsoft.Extensions.Logging;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// Guests from untrusted authors: whatever a filter asks of the host, the proxy keeps its threads, its memory and its
/// other filters' state.
/// </summary>
public sealed class HostileGuestTests
{
    [Fact]
    public async Task A_tick_that_falls_due_while_the_last_one_still_runs_is_dropped_instead_of_blocking_a_thread()
    {
        var timers = new ManualTimeProvider();
        var logs = new HoldingLoggerFactory("hold");
        using var runtime = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions(), timers, logs);
        var wat = new Wat();
        // Ticks every millisecond; each tick counts itself, then logs (the test holds the first log line, as a long tick).
        var module = wat.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_set_tick_period_milliseconds (i32.const 1)))
              (i32.const 1))
            (func (export "proxy_on_tick") (param i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("ticks")}} (i32.const 240)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1)))
              {{wat.Log("hold")}})
            """);
        using var plugin = runtime.CreatePlugin(runtime.LoadModuleFromText(module, "ticker"), new PluginConfiguration { Name = "ticker" });
        var timer = Assert.Single(timers.Timers);

        var first = Task.Run(timer.Fire);
        Assert.True(logs.Held.Wait(TimeSpan.FromSeconds(30)), "the first tick never reached its log line");
        // The timer fires again while the first tick runs: that firing must come back at once, not wait for the VM.
        var second = Task.Run(timer.Fire);
        var returned = await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(10))) == second;
        logs.Release.Set();
        await first;
        await second;

        Assert.True(returned, "a tick that fell due during a running one waited for the VM (a pool thread blocked per period)");
        Assert.Equal(1, Ticks());
        timer.Fire(); // once the running tick is over, ticks go on
        Assert.Equal(2, Ticks());
        Assert.False(plugin.IsFailed, plugin.FailureReason);

        long Ticks() => runtime.GetMetrics().Single(m => m.Name == "ticks").Value;
    }

    [Fact]
    public async Task Messages_enqueued_in_a_loop_to_a_busy_vm_do_not_take_the_pool_threads_and_each_is_announced()
    {
        const int messages = 300;
        var logs = new HoldingLoggerFactory("hold");
        using var runtime = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions(), TimeProvider.System, logs);
        var receiver = new Wat();
        // Registers queue "q"; each proxy_on_queue_ready counts itself and logs (the first log line is held: a busy VM).
        var receiverModule = receiver.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_register_shared_queue {{receiver.Str("q")}} (i32.const 200)))
              (i32.const 1))
            (func (export "proxy_on_queue_ready") (param i32 i32)
              (drop (call $proxy_define_metric (i32.const 0) {{receiver.Str("ready")}} (i32.const 240)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1)))
              {{receiver.Log("hold")}})
            """);
        var sender = new Wat();
        var senderModule = sender.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (local $left i32)
              (drop (call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) {{sender.Str("q")}} (i32.const 200)))
              (local.set $left (i32.const {{messages}}))
              (loop $send
                (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 200)) {{sender.Str("m")}}))
                (br_if $send (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
              (i32.const 0))
            """);
        using var consumer = runtime.CreatePlugin(runtime.LoadModuleFromText(receiverModule, "receiver"), new PluginConfiguration { Name = "receiver" });
        using var producer = runtime.CreatePlugin(runtime.LoadModuleFromText(senderModule, "sender"), new PluginConfiguration { Name = "sender" });

        using (var stream = producer.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        Assert.True(logs.Held.Wait(TimeSpan.FromSeconds(30)), "the first proxy_on_queue_ready never reached its log line");
        // The receiver is busy with the first message; the other notifications must wait for it without holding pool
        // threads: other work queued to the pool (as the proxy's requests are) still runs.
        var probe = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(static done => done.SetResult(), probe, preferLocal: false);
        var served = await Task.WhenAny(probe.Task, Task.Delay(TimeSpan.FromSeconds(10))) == probe.Task;
        logs.Release.Set();

        Assert.True(served, "the thread pool ran nothing else while one VM was busy: each enqueue held a pool thread waiting for it");
        Assert.True(SpinWait.SpinUntil(() => Ready() == messages, TimeSpan.FromSeconds(30)), $"{Ready()} of {messages} enqueues were announced");
        Assert.False(consumer.IsFailed, consumer.FailureReason);

        long Ready() => runtime.GetMetrics().SingleOrDefault(m => m.Name == "ready")?.Value ?? 0;
    }

    [Fact]
    public void Http_calls_beyond_the_in_flight_limit_are_refused_and_the_limit_frees_as_answers_arrive()
    {
        const int attempts = 1100;
        using var harness = new HostHarness();
        var upstream = new StalledUpstream();
        var headers = new HeaderMap();
        headers.Add(":method", "GET");
        headers.Add(":path", "/");
        headers.Add(":authority", "auth.local");
        var wat = new Wat();
        var call = $"(call $proxy_http_call {wat.Str("auth")} {wat.Str(System.Text.Encoding.Latin1.GetString(Abi.PairsCodec.Serialize(headers)))} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 200))";
        // Each request fires 1100 calls at an upstream that does not answer, counting the ones the host accepts.
        var module = wat.Module($$"""
            {{wat.CallbackRepeating("proxy_on_request_headers", attempts, call, "accepted")}}
            (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
              (drop (call $proxy_define_metric (i32.const 0) {{wat.Str("answered")}} (i32.const 240)))
              (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1))))
            """);
        using var plugin = harness.Start(module, new PluginConfiguration { Name = "fanout" }, upstream);

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        Assert.Equal(1024, harness.Gauge("accepted"));
        Assert.Equal(10, harness.Gauge("last_status")); // INTERNAL_FAILURE
        // Calls go out on pool threads: wait until all accepted ones reached the upstream.
        Assert.True(SpinWait.SpinUntil(() => upstream.Pending == 1024, TimeSpan.FromSeconds(30)), $"{upstream.Pending} calls reached the upstream");
        Assert.Single(harness.Logs.Messages, m => m.Contains("MaxCallsInFlight", StringComparison.Ordinal));

        upstream.AnswerAll();
        Assert.True(SpinWait.SpinUntil(() => Metric(harness, "answered") == 1024, TimeSpan.FromSeconds(30)), $"{Metric(harness, "answered")} of 1024 answers delivered");
        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        Assert.Equal(2048, harness.Gauge("accepted"));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
        upstream.AnswerAll();

        static long Metric(HostHarness harness, string name) => harness.Runtime.GetMetrics().SingleOrDefault(m => m.Name == name)?.Value ?? 0;
    }

    [Fact]
    public void Shared_data_and_queue_messages_stop_at_their_caps_instead_of_growing_the_host_without_bound()
    {
        const int megabyte = 1024 * 1024;
        using var harness = new HostHarness();
        var wat = new Wat();
        // 70 shared-data keys of 1 MiB each, then 70 messages of 1 MiB to a queue nobody dequeues: 140 MiB of host memory
        // asked for by a VM whose own memory is capped at 64 MiB.
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (local $i i32)
              (local $status i32)
              (drop (memory.grow (i32.const 16)))
              (drop (call $proxy_register_shared_queue {{wat.Str("sink")}} (i32.const 200)))
              (loop $set
                (i32.store (i32.const 300) (local.get $i))
                (local.set $status (call $proxy_set_shared_data (i32.const 300) (i32.const 4) (i32.const 131072) (i32.const {{megabyte}}) (i32.const 0)))
                {{Count(wat, "data_stored")}}
                (br_if $set (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 70))))
              {{wat.Record("data_last", "(local.get $status)")}}
              (local.set $i (i32.const 0))
              (loop $send
                (local.set $status (call $proxy_enqueue_shared_queue (i32.load (i32.const 200)) (i32.const 131072) (i32.const {{megabyte}})))
                {{Count(wat, "queued")}}
                (br_if $send (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 70))))
              {{wat.Record("queue_last", "(local.get $status)")}}
              (i32.const 0))
            """);
        using var plugin = harness.Start(module, new PluginConfiguration { Name = "hoarder" });

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        // 64 MiB each by default: 63 keys of 1 MiB + 4 bytes fit, and 64 messages.
        Assert.Equal(63, harness.Gauge("data_stored"));
        Assert.Equal(10, harness.Gauge("data_last")); // INTERNAL_FAILURE
        Assert.Equal(64, harness.Gauge("queued"));
        Assert.Equal(10, harness.Gauge("queue_last"));
        Assert.Single(harness.Logs.Messages, m => m.Contains("MaxSharedDataBytes", StringComparison.Ordinal));
        Assert.False(plugin.IsFailed, plugin.FailureReason);

        // Dequeued messages free their space again; stored keys keep theirs.
        Assert.Equal(64, harness.Runtime.DrainSharedQueue("", "sink").Count);
        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        Assert.Equal(128, harness.Gauge("queued"));
        Assert.Equal(63 + 63, harness.Gauge("data_stored")); // the same 63 keys are rewritten, the rest still refused

        static string Count(Wat wat, string name) =>
            $"(if (i32.eqz (local.get $status)) (then (drop (call $proxy_define_metric (i32.const 0) {wat.Str(name)} (i32.const 240))) (drop (call $proxy_increment_metric (i32.load (i32.const 240)) (i64.const 1)))))";
    }

    [Fact]
    public void A_filter_cannot_define_metrics_without_bound()
    {
        using var harness = new HostHarness();
        var wat = new Wat();
        // 12,000 metrics with distinct names, then one whose name is 64 KiB.
        var module = wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (local $i i32)
              (local $status i32)
              ;; The test's gauges first, so that they exist once the host refuses new metrics.
              (drop (call $proxy_define_metric (i32.const 1) {{wat.Str("last_define")}} (i32.const 240)))
              (drop (call $proxy_define_metric (i32.const 1) {{wat.Str("long_name")}} (i32.const 240)))
              (loop $define
                ;; Three ASCII letters from $i's bits (names are UTF-8: arbitrary bytes would collide as U+FFFD).
                (i32.store (i32.const 300) (i32.or (i32.const 0x40404040) (i32.or (i32.and (local.get $i) (i32.const 0x3f))
                  (i32.or (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0x3f00)) (i32.and (i32.shl (local.get $i) (i32.const 4)) (i32.const 0x3f0000))))))
                (local.set $status (call $proxy_define_metric (i32.const 0) (i32.const 300) (i32.const 4) (i32.const 310)))
                (br_if $define (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 12000))))
              {{wat.Record("last_define", "(local.get $status)")}}
              {{wat.Record("long_name", "(call $proxy_define_metric (i32.const 0) (i32.const 0) (i32.const 65536) (i32.const 310))")}}
              (i32.const 0))
            """);
        using var plugin = harness.Start(module, new PluginConfiguration { Name = "counting" });

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        // 10,000 by default, the test's own two gauges included.
        Assert.Equal(10_000, harness.Runtime.GetMetrics().Count);
        Assert.Equal(10, harness.Gauge("last_define")); // INTERNAL_FAILURE
        Assert.Equal(2, harness.Gauge("long_name")); // BAD_ARGUMENT
        Assert.Single(harness.Logs.Messages, m => m.Contains("MaxMetrics", StringComparison.Ordinal));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
    }

    [Fact]
    public void Grpc_calls_beyond_the_open_limit_are_refused()
    {
        using var harness = new HostHarness();
        var upstream = new StalledUpstream();
        var wat = new Wat();
        var call = $"(call $proxy_grpc_call {wat.Str("auth")} {wat.Str("svc")} {wat.Str("Check")} (i32.const 0) (i32.const 0) {wat.Str("m")} (i32.const 1000) (i32.const 200))";
        // 1100 gRPC calls at an upstream that never answers, counting the ones the host opens.
        var module = wat.Module($$"""
            {{wat.CallbackRepeating("proxy_on_request_headers", 1100, call, "opened")}}
            """);
        using var plugin = harness.Start(module, new PluginConfiguration { Name = "grpc-fanout" }, upstream);

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true);
        }

        Assert.Equal(1024, harness.Gauge("opened"));
        Assert.Equal(10, harness.Gauge("last_status")); // INTERNAL_FAILURE
        Assert.Equal(1024, upstream.GrpcCalls);
        Assert.Single(harness.Logs.Messages, m => m.Contains("gRPC calls and streams open", StringComparison.Ordinal));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
    }

    /// <summary>An upstream "auth" that answers http_calls only when the test says so, and gRPC calls never.</summary>
    private sealed class StalledUpstream : IHttpCallDispatcher, IGrpcCallDispatcher
    {
        private readonly List<TaskCompletionSource<HttpCallResponse>> _pending = [];
        private int _grpcCalls;

        public int GrpcCalls => Volatile.Read(ref _grpcCalls);

        public bool HasGrpcCluster(string cluster) => cluster == "auth";

        public IGrpcCall StartGrpcCall(GrpcCallRequest request)
        {
            Interlocked.Increment(ref _grpcCalls);
            return new SilentCall();
        }

        public int Pending
        {
            get
            {
                lock (_pending)
                {
                    return _pending.Count;
                }
            }
        }

        public bool HasCluster(string cluster) => cluster == "auth";

        public Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var answer = new TaskCompletionSource<HttpCallResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pending)
            {
                _pending.Add(answer);
            }

            return answer.Task;
        }

        public void AnswerAll()
        {
            TaskCompletionSource<HttpCallResponse>[] answers;
            lock (_pending)
            {
                answers = [.. _pending];
                _pending.Clear();
            }

            var headers = new HeaderMap();
            headers.Add(":status", "200");
            foreach (var answer in answers)
            {
                answer.SetResult(new HttpCallResponse(headers, ReadOnlyMemory<byte>.Empty, new HeaderMap()));
            }
        }
    }

    private sealed class SilentCall : IGrpcCall
    {
        private readonly System.Threading.Channels.Channel<GrpcCallEvent> _events = System.Threading.Channels.Channel.CreateUnbounded<GrpcCallEvent>();

        public System.Threading.Channels.ChannelReader<GrpcCallEvent> Events => _events.Reader;

        public bool TrySend(ReadOnlyMemory<byte> message) => true;

        public void CloseSend()
        {
        }

        public void Cancel() => _events.Writer.TryComplete();
    }

    /// <summary>A clock whose timers fire only when the test says so, from whichever thread it chooses.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        private readonly List<ManualTimer> _timers = [];

        public IReadOnlyList<ManualTimer> Timers
        {
            get
            {
                lock (_timers)
                {
                    return [.. _timers.Where(t => !t.Disposed)];
                }
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state);
            lock (_timers)
            {
                _timers.Add(timer);
            }

            return timer;
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        public bool Disposed { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => !Disposed;

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Logs nothing, but holds the first filter log line containing a marker until the test releases it.</summary>
    private sealed class HoldingLoggerFactory(string marker) : ILoggerFactory, ILogger
    {
        private int _held;

        public ManualResetEventSlim Held { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).Contains(marker, StringComparison.Ordinal) && Interlocked.Exchange(ref _held, 1) == 0)
            {
                Held.Set();
                Release.Wait();
            }
        }

        public void Dispose()
        {
        }
    }
}
