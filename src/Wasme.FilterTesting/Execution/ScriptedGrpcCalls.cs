using System.Globalization;
using System.Threading.Channels;
using Wasme.FilterTesting.Model;
using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Execution;

/// <summary>A gRPC call or stream a filter made, as the cluster received it.</summary>
public sealed record RecordedGrpcCall(
    string Cluster,
    string Authority,
    string Service,
    string Method,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    IReadOnlyList<byte[]> Messages,
    bool Cancelled);

/// <summary>
/// Answers gRPC calls from the case's <c>when.grpcCalls</c>, on virtual time, and records them: the first answer of
/// the cluster whose service and method match; none matching is UNIMPLEMENTED, as a gRPC server answers.
/// </summary>
internal sealed class ScriptedGrpcCalls(IReadOnlyDictionary<string, IReadOnlyList<GrpcAnswer>> answers, TimeProvider time) : IGrpcCallDispatcher
{
    private readonly Lock _gate = new();
    private readonly List<ScriptedGrpcCall> _calls = [];
    private readonly List<DateTimeOffset> _pending = [];

    public IReadOnlyList<RecordedGrpcCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls.Select(c => c.Snapshot())];
            }
        }
    }

    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count == 0 ? null : _pending.Min();
            }
        }
    }

    public bool HasGrpcCluster(string cluster) => answers.ContainsKey(cluster);

    public IGrpcCall StartGrpcCall(GrpcCallRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = answers[request.Cluster].FirstOrDefault(a => (a.Service is null || a.Service == request.Service) && (a.Method is null || a.Method == request.Method));
        var call = new ScriptedGrpcCall(this, request, answer);
        lock (_gate)
        {
            _calls.Add(call);
        }

        _ = Task.Run(call.RunAsync, CancellationToken.None);
        return call;
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var due = time.GetUtcNow() + delay;
        lock (_gate)
        {
            _pending.Add(due);
        }

        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        finally
        {
            lock (_gate)
            {
                _pending.Remove(due);
            }
        }
    }

    private sealed class ScriptedGrpcCall(ScriptedGrpcCalls owner, GrpcCallRequest request, GrpcAnswer? answer) : IGrpcCall, IDisposable
    {
        private readonly Channel<GrpcCallEvent> _events = Channel.CreateUnbounded<GrpcCallEvent>();
        private readonly TaskCompletionSource _sendClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _cancelled = new();
        private readonly List<byte[]> _messages = [];
        private bool _cancelledByFilter;

        public ChannelReader<GrpcCallEvent> Events => _events.Reader;

        public RecordedGrpcCall Snapshot()
        {
            lock (_messages)
            {
                return new RecordedGrpcCall(request.Cluster, request.Authority, request.Service, request.Method, [.. request.InitialMetadata], [.. _messages], _cancelledByFilter);
            }
        }

        public bool TrySend(ReadOnlyMemory<byte> message)
        {
            lock (_messages)
            {
                if (_sendClosed.Task.IsCompleted)
                {
                    return false;
                }

                _messages.Add(message.ToArray());
                return true;
            }
        }

        public void CloseSend()
        {
            lock (_messages)
            {
                _sendClosed.TrySetResult();
            }
        }

        public void Cancel()
        {
            lock (_messages)
            {
                _cancelledByFilter = true;
            }

            CloseSend();
            try
            {
                _cancelled.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The answer was complete already.
            }
        }

        public void Dispose() => _cancelled.Dispose();

        public async Task RunAsync()
        {
            var token = _cancelled.Token;
            try
            {
                if (answer is null)
                {
                    await _sendClosed.Task.WaitAsync(token);
                    Emit(new GrpcInitialMetadataReceived(new HeaderMap()));
                    Emit(new GrpcTrailingMetadataReceived(Headers([], ("grpc-status", "12"))));
                    Emit(new GrpcClosed(GrpcStatusCode.Unimplemented, $"no answer in when.grpcCalls.{request.Cluster} for {request.Service}/{request.Method}"));
                    return;
                }

                if (request.Timeout > TimeSpan.Zero && answer.Delay >= request.Timeout)
                {
                    // The call's own timeout runs out first, as Envoy's would.
                    await owner.DelayAsync(request.Timeout, token);
                    Emit(new GrpcClosed(GrpcStatusCode.DeadlineExceeded, "upstream request timeout"));
                    return;
                }

                if (answer.Delay > TimeSpan.Zero)
                {
                    await owner.DelayAsync(answer.Delay, token);
                }

                if (answer.Fail)
                {
                    Emit(new GrpcClosed(GrpcStatusCode.Unavailable, $"upstream connect error or disconnect/reset before headers. reset reason: connection failure (the test's answer for cluster '{request.Cluster}' says fail: true)"));
                    return;
                }

                Emit(new GrpcInitialMetadataReceived(Headers(answer.InitialMetadata, (":status", "200"), ("content-type", "application/grpc"))));
                foreach (var message in answer.Messages)
                {
                    Emit(new GrpcMessageReceived(message));
                }

                await _sendClosed.Task.WaitAsync(token);
                var status = answer.Status.ToString(CultureInfo.InvariantCulture);
                Emit(new GrpcTrailingMetadataReceived(answer.Message.Length == 0
                    ? Headers(answer.Trailers, ("grpc-status", status))
                    : Headers(answer.Trailers, ("grpc-status", status), ("grpc-message", Uri.EscapeDataString(answer.Message)))));
                Emit(new GrpcClosed(answer.Status, answer.Message));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Cancelled by the filter: nothing more is reported.
            }
            finally
            {
                _events.Writer.TryComplete();
                Dispose();
            }
        }

        private void Emit(GrpcCallEvent received) => _events.Writer.TryWrite(received);

        private static HeaderMap Headers(IReadOnlyList<KeyValuePair<string, string>> extra, params (string Name, string Value)[] first)
        {
            var map = new HeaderMap();
            foreach (var (name, value) in first)
            {
                map.Add(name, value);
            }

            foreach (var (name, value) in extra)
            {
                map.Add(name, value);
            }

            return map;
        }
    }
}
