using System.Collections.Concurrent;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>One request the server answered, for tests that assert how a client used the API.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentType, int StatusCode);

/// <summary>Every request in arrival order of completion; bounded so a long standalone run does not grow without end.</summary>
public sealed class RequestLog
{
    private const int Limit = 10_000;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public IReadOnlyList<RecordedRequest> Snapshot() => [.. _requests];

    public void Clear() => _requests.Clear();

    internal void Add(RecordedRequest request)
    {
        _requests.Enqueue(request);
        while (_requests.Count > Limit && _requests.TryDequeue(out _))
        {
        }
    }
}
