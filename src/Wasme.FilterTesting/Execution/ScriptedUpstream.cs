using System.Net;
using Wasme.FilterTesting.Model;
using Wasme.Proxy.InProcess;

namespace Wasme.FilterTesting.Execution;

/// <summary>A request as it reached the upstream, after the filters. Header names in lower case.</summary>
public sealed record UpstreamRequest(string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body);

/// <summary>The upstream of a case: records what reaches it and answers with the case's <c>when.upstream</c>.</summary>
internal sealed class ScriptedUpstream(UpstreamSpec answer) : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<UpstreamRequest> _requests = [];

    public IReadOnlyList<UpstreamRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
        {
            headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name.ToLowerInvariant(), v)));
        }

        var body = Array.Empty<byte>();
        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers)
            {
                headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name.ToLowerInvariant(), v)));
            }

            body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        lock (_gate)
        {
            _requests.Add(new UpstreamRequest(request.Method.Method, request.RequestUri?.PathAndQuery ?? "/", headers, body));
        }

        var response = new HttpResponseMessage((HttpStatusCode)answer.Status)
        {
            Version = HttpVersion.Version11,
            RequestMessage = request,
            Content = answer.Body.Count <= 1 ? new ByteArrayContent(answer.Body.Count == 0 ? [] : answer.Body[0]) : new StreamContent(new ChunkedStream([.. answer.Body.Select(chunk => (ReadOnlyMemory<byte>)chunk)])),
        };
        foreach (var (name, value) in answer.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        foreach (var (name, value) in answer.Trailers)
        {
            response.TrailingHeaders.TryAddWithoutValidation(name, value);
        }

        return response;
    }
}
