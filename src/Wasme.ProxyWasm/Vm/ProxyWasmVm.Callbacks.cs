using System.Collections.Concurrent;
using Wasme.ProxyWasm.Binding;

namespace Wasme.ProxyWasm.Vm;

/// <summary>Typed handles on the guest's exports, and the calls the host makes through them.</summary>
internal sealed partial class ProxyWasmVm
{
    /// <summary>Returned by the stream calls when the VM failed during (or before) the call.</summary>
    public const int Failed = -1;

    private Action? _initialize;
    private Action? _start;
    private Func<int, int, int>? _main;
    private Func<int, int>? _allocate;
    private Action<int, int>? _onContextCreate;
    private Func<int, int>? _onDone;
    private Action<int>? _onLog;
    private Action<int>? _onDelete;
    private Func<int, int, int>? _onVmStart;
    private Func<int, int, int>? _onConfigure;
    private Action<int>? _onTick;
    private Func<int, int, int, int>? _onRequestHeaders3;
    private Func<int, int, int, int>? _onResponseHeaders3;
    private Func<int, int, int>? _onRequestHeaders2;
    private Func<int, int, int>? _onResponseHeaders2;
    private Func<int, int, int, int>? _onRequestBody;
    private Func<int, int, int, int>? _onResponseBody;
    private Func<int, int, int>? _onRequestTrailers;
    private Func<int, int, int>? _onResponseTrailers;
    private Action<int, int, int, int, int>? _onHttpCallResponse;
    private Action<int, int>? _onQueueReady;
    private StreamTrampoline? _trampoline;
    // The context the trampoline is running callbacks for, while it runs.
    private ContextState? _inTrampoline;
    // 1 while a tick waits for the VM or runs (Tick).
    private int _tickInFlight;
    // Root-context callbacks waiting for the VM (queue notifications, http_call responses), and 1 while a pool thread
    // is set to deliver them.
    private readonly ConcurrentQueue<(string Function, Action<ProxyWasmVm> Call)> _rootCalls = new();
    private int _rootCallsScheduled;
    // http_calls sent and not yet answered to the guest.
    private int _httpCallsInFlight;
    private bool _httpCallLimitLogged;

    private void BindCallbacks()
    {
        var abi = Module.Abi;
        _initialize = _instance.GetAction0("_initialize");
        _start = _initialize is null ? _instance.GetAction0("_start") : null;
        _main = _instance.GetFunction2("main");
        // As cpp-host (WasmBase::getFunctions): malloc first, proxy_on_memory_allocate as the fallback.
        _allocate = _instance.GetFunction1("malloc") ?? _instance.GetFunction1("proxy_on_memory_allocate");
        _onContextCreate = _instance.GetAction2("proxy_on_context_create");
        _onDone = _instance.GetFunction1("proxy_on_done");
        _onLog = _instance.GetAction1("proxy_on_log");
        _onDelete = _instance.GetAction1("proxy_on_delete");
        _onVmStart = _instance.GetFunction2("proxy_on_vm_start");
        _onConfigure = _instance.GetFunction2("proxy_on_configure");
        _onTick = _instance.GetAction1("proxy_on_tick");
        if (abi.HeadersCallbackArity == 3)
        {
            _onRequestHeaders3 = _instance.GetFunction3("proxy_on_request_headers");
            _onResponseHeaders3 = _instance.GetFunction3("proxy_on_response_headers");
        }
        else
        {
            _onRequestHeaders2 = _instance.GetFunction2("proxy_on_request_headers");
            _onResponseHeaders2 = _instance.GetFunction2("proxy_on_response_headers");
        }

        _onRequestBody = _instance.GetFunction3("proxy_on_request_body");
        _onResponseBody = _instance.GetFunction3("proxy_on_response_body");
        _onRequestTrailers = _instance.GetFunction2("proxy_on_request_trailers");
        _onResponseTrailers = _instance.GetFunction2("proxy_on_response_trailers");
        _onHttpCallResponse = _instance.GetAction5("proxy_on_http_call_response");
        _onQueueReady = _instance.GetAction2("proxy_on_queue_ready");
        BindNetworkCallbacks();
        BindGrpcCallbacks();
        BindStreamTrampoline();
    }

    private void BindStreamTrampoline()
    {
        var headersArity = _onRequestHeaders3 is not null ? 3 : 2;
        var exported = new List<StreamStage>(5);
        if (_onContextCreate is not null)
        {
            exported.Add(StreamStage.ContextCreate);
        }

        if (_onRequestHeaders3 is not null || _onRequestHeaders2 is not null)
        {
            exported.Add(StreamStage.RequestHeaders);
        }

        if (_onDone is not null)
        {
            exported.Add(StreamStage.Done);
        }

        if (_onLog is not null)
        {
            exported.Add(StreamStage.Log);
        }

        if (_onDelete is not null)
        {
            exported.Add(StreamStage.Delete);
        }

        var text = StreamTrampoline.Text([.. exported], headersArity);
        if (text is null)
        {
            return;
        }

        try
        {
            // The guest was held to one instance and one memory; the trampoline adds one of each (its memory is one page).
            _store.SetLimits(memorySize: Config.Limits.MaxMemoryBytes, tableElements: 100_000, instances: 2, tables: 4, memories: 2);
            _trampoline = StreamTrampoline.Bind(_store, Module.StreamTrampoline(text, Runtime.CompileHostModule), _instance, [.. exported], headersArity);
        }
        catch (Exception ex) when (ex is GuestTrapException or Wasmtime.WasmtimeException)
        {
            // Not expected (the module is generated for these exports); streams then run one callback per entry, as before.
            Log.StreamTrampolineUnavailable(Logger, Config.Name, ex.Message);
        }
    }

    /// <summary>Calls the guest allocator (for results handed to the guest); 0 means failure.</summary>
    public int Allocate(int size)
    {
        if (_allocate is null)
        {
            return 0;
        }

        InAllocator = true;
        try
        {
            return _allocate(size);
        }
        finally
        {
            InAllocator = false;
        }
    }

    /// <summary>Creates a stream context (<c>proxy_on_context_create(id, root)</c>); null when the VM is failed.</summary>
    public ContextState? CreateStream(IStreamHost host)
    {
        var id = _nextContextId++;
        if (!TryEnter())
        {
            return null;
        }

        var context = NewStreamState(id, host);
        _contexts[context.Id] = context;
        Current = context;
        try
        {
            _onContextCreate?.Invoke(context.Id, RootContextId);
            return context;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail("proxy_on_context_create", ex);
            return null;
        }
        finally
        {
            Exit();
        }
    }

    private ContextState NewStreamState(int id, IStreamHost host)
    {
        // request.time is the data plane's start time when it gives one (wasme run always does): no clock read then.
        var createdAt = host.Info.StartTime is null ? Runtime.TimeProvider.GetUtcNow() : default;
        if (_freeContexts.TryPop(out var reused))
        {
            reused.Reuse(id, host, createdAt);
            return reused;
        }

        return new ContextState(id, host) { CreatedAt = createdAt };
    }

    /// <summary>
    /// A stream's start: <c>proxy_on_context_create</c> then <c>proxy_on_request_headers</c>, in one entry into the VM
    /// through the trampoline when the module has one. Null when the context could not be created (the VM failed);
    /// otherwise <paramref name="raw"/> is the request headers callback's result (<see cref="Failed"/> when it failed).
    /// </summary>
    public ContextState? BeginStream(IStreamHost host, HeaderMap requestHeaders, bool endOfStream, out int raw)
    {
        var trampoline = _trampoline;
        if (trampoline is null || !trampoline.CanBegin)
        {
            var created = CreateStream(host);
            raw = Failed;
            if (created is not null)
            {
                created.RequestHeaders = requestHeaders;
                raw = CallRequestHeaders(created, requestHeaders.Count, endOfStream);
            }

            return created;
        }

        raw = Failed;
        var id = _nextContextId++;
        if (!TryEnter())
        {
            return null;
        }

        var context = NewStreamState(id, host);
        context.RequestHeaders = requestHeaders;
        _contexts[id] = context;
        Current = context;
        var count = requestHeaders.Count;
        _inTrampoline = context;
        StreamStage? stopped;
        try
        {
            raw = trampoline.Begin(id, count, endOfStream ? 1 : 0);
            stopped = trampoline.Stage;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var stage = trampoline.Stage ?? StreamStage.ContextCreate;
            Fail(StreamTrampoline.Export(stage), ex);
            return stage == StreamStage.ContextCreate ? null : context;
        }
        finally
        {
            _inTrampoline = null;
            Exit();
        }

        // Stopped because the guest changed its effective context during proxy_on_context_create.
        if (stopped == StreamStage.ContextCreate)
        {
            raw = CallRequestHeaders(context, count, endOfStream);
        }

        return context;
    }

    /// <summary>
    /// A context's request headers as the guest may see them: none while its <c>proxy_on_context_create</c> runs (Envoy
    /// hands them over with <c>proxy_on_request_headers</c>), even when the trampoline already holds them.
    /// </summary>
    public HeaderMap? RequestHeadersOf(ContextState context)
        => ReferenceEquals(_inTrampoline, context) && _trampoline!.Stage == StreamStage.ContextCreate ? null : context.RequestHeaders;

    public int CallRequestHeaders(ContextState context, int count, bool endOfStream)
        => CallHeaders("proxy_on_request_headers", _onRequestHeaders3, _onRequestHeaders2, context, count, endOfStream);

    public int CallResponseHeaders(ContextState context, int count, bool endOfStream)
        => CallHeaders("proxy_on_response_headers", _onResponseHeaders3, _onResponseHeaders2, context, count, endOfStream);

    public int CallRequestBody(ContextState context, int size, bool endOfStream)
        => Call3("proxy_on_request_body", _onRequestBody, context, size, endOfStream ? 1 : 0);

    public int CallResponseBody(ContextState context, int size, bool endOfStream)
        => Call3("proxy_on_response_body", _onResponseBody, context, size, endOfStream ? 1 : 0);

    public int CallRequestTrailers(ContextState context, int count)
        => Call2("proxy_on_request_trailers", _onRequestTrailers, context, count);

    public int CallResponseTrailers(ContextState context, int count)
        => Call2("proxy_on_response_trailers", _onResponseTrailers, context, count);

    /// <summary>
    /// A stream's end: <c>proxy_on_done</c> and <c>proxy_on_log</c> (unless they already ran), then <c>proxy_on_delete</c>,
    /// in one entry into the VM through the trampoline when the module has one; then the host forgets the context.
    /// </summary>
    public void EndStream(ContextState context)
    {
        var trampoline = _trampoline;
        if (trampoline is null || !trampoline.CanEnd || context.Done || !_contexts.TryGetValue(context.Id, out var known) || !ReferenceEquals(known, context))
        {
            CallDone(context);
            CallDelete(context);
            return;
        }

        if (!TryEnter())
        {
            // Forgets the context without entering the failed VM.
            CallDelete(context);
            return;
        }

        context.Done = true;
        Current = context;
        _inTrampoline = context;
        StreamStage? stopped;
        try
        {
            trampoline.End(context.Id);
            stopped = trampoline.Stage;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(StreamTrampoline.Export(trampoline.Stage ?? StreamStage.Done), ex);
            stopped = null;
        }
        finally
        {
            _inTrampoline = null;
            Exit();
        }

        // Stopped because the guest changed its effective context: that lasts one callback, so the rest run one by one.
        if (stopped == StreamStage.Done)
        {
            CallLog(context);
        }

        if (stopped is StreamStage.Done or StreamStage.Log)
        {
            CallDelete(context);
            return;
        }

        _contexts.Remove(context.Id);
        Current = Root;
        if (!IsFailed && _freeContexts.Count < MaxFreeContexts)
        {
            _freeContexts.Push(context);
        }
    }

    /// <summary>Called when the guest changes its effective context: inside the trampoline, stop after this callback.</summary>
    public void EffectiveContextChanged()
    {
        if (_inTrampoline is not null)
        {
            _trampoline?.RequestStop();
        }
    }

    private void CallLog(ContextState context)
    {
        if (!TryEnter())
        {
            return;
        }

        Current = context;
        try
        {
            _onLog?.Invoke(context.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail("proxy_on_log", ex);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary><c>proxy_on_done</c> then <c>proxy_on_log</c>, as Envoy does when a stream ends.</summary>
    public void CallDone(ContextState context)
    {
        if (context.Done || !TryEnter())
        {
            return;
        }

        context.Done = true;
        Current = context;
        var function = "proxy_on_done";
        try
        {
            _onDone?.Invoke(context.Id);
            function = "proxy_on_log";
            Current = context;
            _onLog?.Invoke(context.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(function, ex);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary><c>proxy_on_delete</c>, then the host forgets the context.</summary>
    public void CallDelete(ContextState context)
    {
        if (!_contexts.Remove(context.Id, out var known))
        {
            return;
        }

        // States are reused: only the live holder of this id may delete it.
        if (!ReferenceEquals(known, context))
        {
            _contexts[context.Id] = known;
            return;
        }

        if (ReferenceEquals(Current, context))
        {
            Current = Root;
        }

        if (!TryEnter())
        {
            return;
        }

        try
        {
            _onDelete?.Invoke(context.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail("proxy_on_delete", ex);
        }
        finally
        {
            Exit();
            Current = Root;
        }

        // Its stream handle is disposed and the guest forgot the id: the state can serve the next stream.
        if (_freeContexts.Count < MaxFreeContexts)
        {
            _freeContexts.Push(context);
        }
    }

    public bool TryGetContext(int id, out ContextState context) => _contexts.TryGetValue(id, out context!);

    private int CallHeaders(string function, Func<int, int, int, int>? three, Func<int, int, int>? two, ContextState context, int count, bool endOfStream)
    {
        if (three is null && two is null)
        {
            return IsFailed ? Failed : 0;
        }

        if (!TryEnter())
        {
            return Failed;
        }

        Current = context;
        try
        {
            return three is not null ? three(context.Id, count, endOfStream ? 1 : 0) : two!(context.Id, count);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(function, ex);
            return Failed;
        }
        finally
        {
            Exit();
        }
    }

    private int Call3(string function, Func<int, int, int, int>? callback, ContextState context, int a, int b)
    {
        if (callback is null)
        {
            return IsFailed ? Failed : 0;
        }

        if (!TryEnter())
        {
            return Failed;
        }

        Current = context;
        try
        {
            return callback(context.Id, a, b);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(function, ex);
            return Failed;
        }
        finally
        {
            Exit();
        }
    }

    private int Call2(string function, Func<int, int, int>? callback, ContextState context, int a)
    {
        if (callback is null)
        {
            return IsFailed ? Failed : 0;
        }

        if (!TryEnter())
        {
            return Failed;
        }

        Current = context;
        try
        {
            return callback(context.Id, a);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(function, ex);
            return Failed;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Runs a root-context callback from a timer, an http_call completion or a queue.</summary>
    private void CallRoot(string function, Action<ProxyWasmVm> call)
    {
        lock (Gate)
        {
            if (!TryEnter())
            {
                return;
            }

            Current = Root;
            try
            {
                call(this);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(function, ex);
            }
            finally
            {
                Exit();
                Current = Root;
            }
        }
    }

    public void SetTickPeriod(TimeSpan period)
    {
        _tickTimer?.Dispose();
        _tickTimer = null;
        if (period > TimeSpan.Zero && _onTick is not null && !IsFailed)
        {
            _tickTimer = Runtime.TimeProvider.CreateTimer(static state => ((ProxyWasmVm)state!).Tick(), this, period, period);
        }
    }

    private void Tick()
    {
        // Envoy re-arms its tick timer only after proxy_on_tick returns, so ticks never queue up. The timer here fires
        // on the pool whatever the VM is doing: a tick that falls due while another waits for the VM or runs is
        // dropped, else a short period (1 ms) on a busy VM would block one pool thread per period on its lock.
        if (Interlocked.Exchange(ref _tickInFlight, 1) != 0)
        {
            return;
        }

        try
        {
            CallRoot("proxy_on_tick", static vm => vm._onTick!(RootContextId));
        }
        finally
        {
            Volatile.Write(ref _tickInFlight, 0);
        }
    }

    public void NotifyQueueReady(int queueId)
    {
        if (_onQueueReady is null)
        {
            return;
        }

        // One proxy_on_queue_ready per enqueue, as cpp-host, in enqueue order; but one pool thread per VM delivers them
        // all. A work item per enqueue blocked one pool thread each on this VM's lock while the VM was busy, so a guest
        // enqueueing in a loop could take every pool thread the proxy serves with.
        PostRootCall("proxy_on_queue_ready", vm => vm._onQueueReady!(RootContextId, queueId));
    }

    /// <summary>Runs a root-context callback later, on the one pool thread that delivers this VM's callbacks in order.</summary>
    private void PostRootCall(string function, Action<ProxyWasmVm> call)
    {
        _rootCalls.Enqueue((function, call));
        ScheduleRootCalls();
    }

    private void ScheduleRootCalls()
    {
        if (Interlocked.Exchange(ref _rootCallsScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static vm => vm.DeliverRootCalls(), this, preferLocal: false);
        }
    }

    private void DeliverRootCalls()
    {
        // Each callback takes the VM's lock on its own, so streams are served between them.
        while (_rootCalls.TryDequeue(out var next))
        {
            CallRoot(next.Function, next.Call);
        }

        Volatile.Write(ref _rootCallsScheduled, 0);
        // A post between the last dequeue and the reset above found the deliverer still scheduled.
        if (!_rootCalls.IsEmpty)
        {
            ScheduleRootCalls();
        }
    }

    public Task NotifyQueueReadyAsync(int queueId) => _onQueueReady is null
        ? Task.CompletedTask
        : Task.Run(() => CallRoot("proxy_on_queue_ready", vm => vm._onQueueReady!(RootContextId, queueId)));

    /// <summary>
    /// Counts a call about to start; false when <see cref="PluginLimits.MaxCallsInFlight"/> are already in flight
    /// (Envoy's default circuit breaker lets a cluster have 1024 requests), logged once until calls drop below it.
    /// </summary>
    public bool TryReserveHttpCall()
    {
        var limit = Config.Limits.MaxCallsInFlight;
        if (Interlocked.Increment(ref _httpCallsInFlight) <= limit)
        {
            _httpCallLimitLogged = false;
            return true;
        }

        Interlocked.Decrement(ref _httpCallsInFlight);
        if (!_httpCallLimitLogged)
        {
            _httpCallLimitLogged = true;
            Log.HttpCallLimitReached(Logger, Config.Name, limit);
        }

        return false;
    }

    /// <summary>Starts an outbound call (reserved with <see cref="TryReserveHttpCall"/>); its response is delivered later on a pool thread.</summary>
    public int StartHttpCall(HttpCallRequest request, TimeSpan timeout)
    {
        var callId = _nextCallId++;
        var dispatcher = HttpCalls!;
        var token = _lifetime.Token;
        _ = Task.Run(
            async () =>
            {
                HttpCallResponse? response = null;
                try
                {
                    response = await dispatcher.SendAsync(request, timeout, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    if (token.IsCancellationRequested)
                    {
                        return;
                    }

                    Log.HttpCallFailed(Logger, Config.Name, callId, request.Cluster, ex.Message);
                }

                DeliverHttpCallResponse(callId, response);
            },
            CancellationToken.None);
        return callId;
    }

    private void DeliverHttpCallResponse(int callId, HttpCallResponse? response)
    {
        if (_onHttpCallResponse is null)
        {
            Interlocked.Decrement(ref _httpCallsInFlight);
            return;
        }

        // The call counts against the limit until its answer is handed to the guest, so answers cannot pile up either.
        PostRootCall("proxy_on_http_call_response", vm =>
        {
            Interlocked.Decrement(ref vm._httpCallsInFlight);
            vm.CallResponse = response;
            try
            {
                // A failed call reports zero headers, as Envoy does.
                vm._onHttpCallResponse!(
                    RootContextId,
                    callId,
                    response?.Headers.Count ?? 0,
                    response?.Body.Length ?? 0,
                    response?.Trailers.Count ?? 0);
            }
            finally
            {
                vm.CallResponse = null;
            }
        });
    }
}
