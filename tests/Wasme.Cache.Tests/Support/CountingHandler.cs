using System.Collections.Concurrent;

namespace Wasme.Cache.Tests.Support;

/// <summary>Counts what the cache sends upstream, per request path.</summary>
internal sealed class UpstreamCounter
{
    public ConcurrentQueue<string> Requests { get; } = new();

    public int Count(Func<string, bool> match) => Requests.Count(match);

    public HttpMessageHandler CreateHandler() => new CountingHandler(this);

    private sealed class CountingHandler(UpstreamCounter counter) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Requests.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
