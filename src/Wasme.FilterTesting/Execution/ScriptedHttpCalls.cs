using Wasme.FilterTesting.Model;
using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Execution;

/// <summary>A call a filter made with <c>proxy_http_call</c>, as the cluster received it.</summary>
public sealed record RecordedCall(string Cluster, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body);

/// <summary>Answers <c>http_call</c>s from the case's <c>when.httpCalls</c>, on virtual time, and records them.</summary>
internal sealed partial class ScriptedHttpCalls(IReadOnlyDictionary<string, CallAnswer> answers, TimeProvider time) : IHttpCallDispatcher
{
    private readonly Lock _gate = new();
    private readonly List<RecordedCall> _calls = [];
    private readonly List<DateTimeOffset> _pending = [];

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>When the earliest delayed answer (http_call or gRPC) is due, or null when none is waiting.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            DateTimeOffset? due;
            lock (_gate)
            {
                due = _pending.Count == 0 ? null : _pending.Min();
            }

            return Grpc?.NextDue is { } grpc && (due is null || grpc < due) ? grpc : due;
        }
    }

    public bool HasCluster(string cluster) => answers.ContainsKey(cluster);

    public async Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _calls.Add(new RecordedCall(request.Cluster, [.. request.Headers], request.Body.ToArray()));
        }

        var answer = answers[request.Cluster];

        // The call's own timeout (0: none, as Envoy reads it) runs out before a later answer, as Envoy's would.
        var timedOut = timeout > TimeSpan.Zero && answer.Delay >= timeout;
        var wait = timedOut ? timeout : answer.Delay;
        if (wait > TimeSpan.Zero)
        {
            var due = time.GetUtcNow() + wait;
            lock (_gate)
            {
                _pending.Add(due);
            }

            try
            {
                await Task.Delay(wait, time, cancellationToken);
            }
            finally
            {
                lock (_gate)
                {
                    _pending.Remove(due);
                }
            }
        }

        if (timedOut)
        {
            throw new TimeoutException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the call to cluster '{request.Cluster}' timed out after its own timeout of {timeout.TotalMilliseconds:0} ms (the test's answer comes after {answer.Delay.TotalMilliseconds:0} ms)"));
        }

        if (answer.Fail)
        {
            throw new HttpRequestException($"cluster '{request.Cluster}' refused the call (the test's answer says fail: true)");
        }

        var headers = new HeaderMap();
        headers.Add(":status", answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in answer.Headers)
        {
            headers.Add(name.ToLowerInvariant(), value);
        }

        return new HttpCallResponse(headers, answer.Body, new HeaderMap());
    }
}
