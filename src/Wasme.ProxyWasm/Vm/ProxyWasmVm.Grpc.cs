namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// gRPC calls and streams, as Envoy runs them for a Proxy-Wasm VM: ids of the form 4n+1 (calls) and 4n+2 (streams),
/// answers delivered to the root context, a unary call reported by <c>proxy_on_grpc_receive</c> on success and by
/// <c>proxy_on_grpc_close</c> on failure only, and a cancelled call or stream never heard of again.
/// </summary>
internal sealed partial class ProxyWasmVm
{
    // Envoy (proxy-wasm-cpp-host wasm.h): the low two bits of a callout id say what it is.
    private const int GrpcCallType = 1;
    private const int GrpcStreamType = 2;
    private const int CalloutTypeMask = 3;
    private const int CalloutIncrement = 4;

    private readonly Dictionary<int, GrpcCallState> _grpcCalls = [];
    private int _lastGrpcCallId = GrpcCallType;
    private int _lastGrpcStreamId = GrpcStreamType;
    private bool _grpcLimitLogged;
    private Action<int, int, int>? _onGrpcReceiveInitialMetadata;
    private Action<int, int, int>? _onGrpcReceive;
    private Action<int, int, int>? _onGrpcReceiveTrailingMetadata;
    private Action<int, int, int>? _onGrpcClose;

    public IGrpcCallDispatcher? GrpcCalls => HttpCalls as IGrpcCallDispatcher;

    /// <summary>The metadata being delivered, during <c>proxy_on_grpc_receive_initial_metadata</c>.</summary>
    public HeaderMap? GrpcInitialMetadata { get; private set; }

    /// <summary>The metadata being delivered, during <c>proxy_on_grpc_receive_trailing_metadata</c>.</summary>
    public HeaderMap? GrpcTrailingMetadata { get; private set; }

    /// <summary>The message being delivered, during <c>proxy_on_grpc_receive</c>.</summary>
    public ReadOnlyMemory<byte>? GrpcMessage { get; private set; }

    /// <summary>What <c>proxy_get_status</c> answers, during <c>proxy_on_grpc_close</c>.</summary>
    public (int Code, string Message)? CallStatus { get; private set; }

    public static bool IsGrpcCallId(int token) => (token & CalloutTypeMask) == GrpcCallType;

    public static bool IsGrpcStreamId(int token) => (token & CalloutTypeMask) == GrpcStreamType;

    private void BindGrpcCallbacks()
    {
        _onGrpcReceiveInitialMetadata = _instance.GetAction3("proxy_on_grpc_receive_initial_metadata");
        _onGrpcReceive = _instance.GetAction3("proxy_on_grpc_receive");
        // AssemblyScript's proxy-runtime exports the trailing-metadata callback under a name of its own.
        _onGrpcReceiveTrailingMetadata = _instance.GetAction3("proxy_on_grpc_receive_trailing_metadata")
            ?? _instance.GetAction3("proxy_on_grpc_trailing_metadata");
        _onGrpcClose = _instance.GetAction3("proxy_on_grpc_close");
    }

    /// <summary>
    /// Whether another gRPC call or stream may open: at most <see cref="PluginLimits.MaxCallsInFlight"/> are, as for
    /// http_calls (a refusal is logged once until one closes).
    /// </summary>
    public bool CanOpenGrpc()
    {
        var limit = Config.Limits.MaxCallsInFlight;
        if (_grpcCalls.Count < limit)
        {
            _grpcLimitLogged = false;
            return true;
        }

        if (!_grpcLimitLogged)
        {
            _grpcLimitLogged = true;
            Log.GrpcCallLimitReached(Logger, Config.Name, limit);
        }

        return false;
    }

    /// <summary>Opens a call (with its one message) or a stream (<paramref name="message"/> null) and returns its id.</summary>
    public int StartGrpc(GrpcCallRequest request, ReadOnlyMemory<byte>? message)
    {
        var isStream = message is null;
        var token = isStream ? (_lastGrpcStreamId += CalloutIncrement) : (_lastGrpcCallId += CalloutIncrement);
        var call = GrpcCalls!.StartGrpcCall(request);
        var state = new GrpcCallState(token, isStream, call, request.Cluster);
        _grpcCalls[token] = state;
        if (message is { } unary)
        {
            call.TrySend(unary);
            call.CloseSend();
        }

        var lifetime = _lifetime.Token;
        state.Registration = lifetime.Register(static s => ((IGrpcCall)s!).Cancel(), call);
        _ = Task.Run(() => PumpGrpcAsync(state, lifetime), CancellationToken.None);
        return token;
    }

    public bool TryGetGrpc(int token, out GrpcCallState state) => _grpcCalls.TryGetValue(token, out state!);

    /// <summary><c>proxy_grpc_send</c>: queues the message; with end of stream, half-closes as <c>proxy_grpc_close</c> does.</summary>
    public void SendGrpc(GrpcCallState state, ReadOnlyMemory<byte> message, bool endOfStream)
    {
        state.Call.TrySend(message);
        if (endOfStream)
        {
            CloseGrpc(state);
        }
    }

    /// <summary><c>proxy_grpc_close</c>: a call is cancelled; a stream is half-closed and may still be answered.</summary>
    public void CloseGrpc(GrpcCallState state)
    {
        if (!state.IsStream)
        {
            CancelGrpc(state);
            return;
        }

        state.Call.CloseSend();
        state.LocalClosed = true;
        if (state.RemoteClosed)
        {
            Forget(state);
        }
    }

    /// <summary><c>proxy_grpc_cancel</c>: the call or stream is reset and nothing more is delivered.</summary>
    public void CancelGrpc(GrpcCallState state)
    {
        state.Call.Cancel();
        Forget(state);
    }

    private void Forget(GrpcCallState state)
    {
        _grpcCalls.Remove(state.Token);
        state.Registration.Dispose();
    }

    private async Task PumpGrpcAsync(GrpcCallState state, CancellationToken lifetime)
    {
        ReadOnlyMemory<byte>? response = null;
        try
        {
            await foreach (var received in state.Call.Events.ReadAllAsync(lifetime).ConfigureAwait(false))
            {
                if (state.IsStream)
                {
                    Deliver(state, received);
                }
                else if (received is GrpcMessageReceived unary)
                {
                    // Envoy's unary client keeps the last message and reports it once the call ends well.
                    response = unary.Message;
                }
                else if (received is GrpcClosed closed)
                {
                    DeliverUnary(state, response, closed);
                }

                if (received is GrpcClosed)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
    }

    private void DeliverUnary(GrpcCallState state, ReadOnlyMemory<byte>? response, GrpcClosed closed)
    {
        if (closed.Status == GrpcStatusCode.Ok && response is { } message)
        {
            DeliverMessage(state, message, last: true);
            return;
        }

        // An OK status with no message is a failed unary call to Envoy: INTERNAL, no message.
        Deliver(state, closed.Status == GrpcStatusCode.Ok ? new GrpcClosed(GrpcStatusCode.Internal, string.Empty) : closed);
    }

    private void DeliverMessage(GrpcCallState state, ReadOnlyMemory<byte> message, bool last)
    {
        CallRoot("proxy_on_grpc_receive", vm =>
        {
            if (!vm.IsCurrent(state))
            {
                return;
            }

            vm.GrpcMessage = message;
            try
            {
                vm._onGrpcReceive?.Invoke(RootContextId, state.Token, message.Length);
            }
            finally
            {
                vm.GrpcMessage = null;
                if (last && vm.IsCurrent(state))
                {
                    vm.Forget(state);
                }
            }
        });
    }

    private bool IsCurrent(GrpcCallState state) => _grpcCalls.TryGetValue(state.Token, out var current) && ReferenceEquals(current, state);

    private void Deliver(GrpcCallState state, GrpcCallEvent received)
    {
        switch (received)
        {
            case GrpcInitialMetadataReceived initial:
                CallRoot("proxy_on_grpc_receive_initial_metadata", vm =>
                {
                    if (!vm.IsCurrent(state) || vm._onGrpcReceiveInitialMetadata is null)
                    {
                        return;
                    }

                    vm.GrpcInitialMetadata = initial.Metadata;
                    try
                    {
                        vm._onGrpcReceiveInitialMetadata(RootContextId, state.Token, initial.Metadata.Count);
                    }
                    finally
                    {
                        vm.GrpcInitialMetadata = null;
                    }
                });
                break;
            case GrpcMessageReceived message:
                DeliverMessage(state, message.Message, last: false);
                break;
            case GrpcTrailingMetadataReceived trailing:
                CallRoot("proxy_on_grpc_receive_trailing_metadata", vm =>
                {
                    if (!vm.IsCurrent(state) || vm._onGrpcReceiveTrailingMetadata is null)
                    {
                        return;
                    }

                    vm.GrpcTrailingMetadata = trailing.Metadata;
                    try
                    {
                        vm._onGrpcReceiveTrailingMetadata(RootContextId, state.Token, trailing.Metadata.Count);
                    }
                    finally
                    {
                        vm.GrpcTrailingMetadata = null;
                    }
                });
                break;
            case GrpcClosed closed:
                if (closed.Status != GrpcStatusCode.Ok)
                {
                    Log.GrpcCallClosed(Logger, Config.Name, state.Token, state.Cluster, closed.Status, closed.Message);
                }

                CallRoot("proxy_on_grpc_close", vm =>
                {
                    if (!vm.IsCurrent(state))
                    {
                        return;
                    }

                    // A stream the filter has not closed stays known, so its proxy_grpc_close still finds it.
                    if (!state.IsStream || state.LocalClosed)
                    {
                        vm.Forget(state);
                    }
                    else
                    {
                        state.RemoteClosed = true;
                    }

                    if (vm._onGrpcClose is null)
                    {
                        return;
                    }

                    vm.CallStatus = (closed.Status, closed.Message);
                    try
                    {
                        vm._onGrpcClose(RootContextId, state.Token, closed.Status);
                    }
                    finally
                    {
                        vm.CallStatus = null;
                    }
                });
                break;
        }
    }
}

/// <summary>Host-side state of one gRPC call or stream.</summary>
internal sealed class GrpcCallState(int token, bool isStream, IGrpcCall call, string cluster)
{
    public int Token { get; } = token;

    public bool IsStream { get; } = isStream;

    public IGrpcCall Call { get; } = call;

    public string Cluster { get; } = cluster;

    public bool LocalClosed { get; set; }

    public bool RemoteClosed { get; set; }

    public CancellationTokenRegistration Registration { get; set; }
}
