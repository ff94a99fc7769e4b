using System.Net;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Streams;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Wraps the upstream's response content so that the forwarder reads it through the filter chain. It carries no
/// content headers: the forwarder has copied those to the client's response before the filters ran, and reads
/// only the body from here.
/// </summary>
internal sealed class FilteredResponseContent : HttpContent
{
    private readonly HttpResponseMessage _response;
    private readonly HttpContent _inner;
    private readonly StreamFilterChain _chain;

    public FilteredResponseContent(HttpResponseMessage response, StreamFilterChain chain)
    {
        _response = response;
        _inner = response.Content;
        _chain = chain;
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken)
    {
        var inner = await _inner.ReadAsStreamAsync(cancellationToken);
        return new FilteredBodyStream(inner, _chain, StreamDirection.Response, HasTrailers);
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var source = await CreateContentReadStreamAsync(cancellationToken);
        await source.CopyToAsync(stream, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Copies the upstream's trailers into the stream once the body has been read to its end.</summary>
    private bool HasTrailers()
    {
        var trailers = _response.TrailingHeaders;
        if (trailers.NonValidated.Count == 0)
        {
            return false;
        }

        var target = _chain.Stream.ResponseTrailers;
        foreach (var (name, values) in trailers)
        {
            var lower = HeaderNames.ToLower(name);
            foreach (var value in values)
            {
                target.Add(lower, value);
            }
        }

        return true;
    }
}
