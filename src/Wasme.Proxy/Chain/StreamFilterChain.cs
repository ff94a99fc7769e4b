using Microsoft.Extensions.Logging;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Streams;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Chain;

/// <summary>
/// Runs one stream through the chain: request events in chain order, response events in reverse order (as
/// Envoy's encoder filters), waiting where a filter stops iteration, buffering body data per filter with a bound,
/// and applying each filter's failure policy when it throws.
/// </summary>
internal sealed partial class StreamFilterChain : IDisposable
{
    private readonly FilterChain _chain;
    private readonly HttpExchange _stream;
    private readonly IHttpFilter?[] _filters;
    private readonly BodyBuffer?[] _requestStages;
    private readonly BodyBuffer?[] _responseStages;
    private readonly ILogger _logger;
    private readonly ProxyMetrics _metrics;
    private bool _done;

    public StreamFilterChain(FilterChain chain, HttpExchange stream, ProxyMetrics metrics, ILogger logger)
    {
        _chain = chain;
        _stream = stream;
        _metrics = metrics;
        _logger = logger;
        var count = chain.Factories.Count;
        _filters = new IHttpFilter?[count];
        _requestStages = new BodyBuffer?[count];
        _responseStages = new BodyBuffer?[count];
        for (var i = 0; i < count; i++)
        {
            try
            {
                _filters[i] = chain.Factories[i].CreateFilter(stream);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(i, ex);
            }
        }
    }

    public HttpExchange Stream => _stream;

    public FilterChain Config => _chain;

    /// <summary>Runs the request headers through the chain. False when the stream ends in a local reply.</summary>
    public async ValueTask<bool> OnRequestHeadersAsync(bool endOfStream, CancellationToken cancellationToken)
    {
        _stream.Phase = StreamDirection.Request;
        for (var i = 0; i < _filters.Length && _stream.LocalResponse is null; i++)
        {
            var status = Invoke(i, HttpFilterCapabilities.RequestHeaders, static (f, s, eos, _) => f.OnRequestHeaders(s, eos), endOfStream, 0);
            if (status == FilterStatus.StopIteration)
            {
                await WaitForFilterAsync(i, cancellationToken);
            }
        }

        return _stream.LocalResponse is null;
    }

    /// <summary>Runs the response headers through the chain in reverse order. False when a local reply replaces the response.</summary>
    public async ValueTask<bool> OnResponseHeadersAsync(bool endOfStream, CancellationToken cancellationToken)
    {
        _stream.Phase = StreamDirection.Response;
        for (var i = _filters.Length - 1; i >= 0 && _stream.LocalResponse is null; i--)
        {
            var status = Invoke(i, HttpFilterCapabilities.ResponseHeaders, static (f, s, eos, _) => f.OnResponseHeaders(s, eos), endOfStream, 0);
            if (status == FilterStatus.StopIteration)
            {
                await WaitForFilterAsync(i, cancellationToken);
            }
        }

        return _stream.LocalResponse is null;
    }

    /// <summary>
    /// Runs the response headers of a local reply through the chain, as Envoy sends local replies through its
    /// encoder filters. Filters cannot stop a local reply; a second local reply is ignored.
    /// </summary>
    public void OnLocalReplyHeaders(bool endOfStream)
    {
        _stream.Phase = StreamDirection.Response;
        for (var i = _filters.Length - 1; i >= 0; i--)
        {
            _ = Invoke(i, HttpFilterCapabilities.ResponseHeaders, static (f, s, eos, _) => f.OnResponseHeaders(s, eos), endOfStream, 0);
        }
    }

    /// <summary>
    /// Runs the body of a local reply through the chain's response-body callbacks, in reverse order and with end of
    /// stream set, as Envoy encodes a local reply's body; each filter may change it. Returns what comes out.
    /// Filters cannot hold a local reply, so a stop is treated as a continue.
    /// </summary>
    public byte[] OnLocalReplyBody(ReadOnlyMemory<byte> body)
    {
        _stream.Phase = StreamDirection.Response;
        using var buffer = new BodyBuffer(body.Span) { GuestLimit = _chain.BodyBufferLimit };
        for (var i = _filters.Length - 1; i >= 0; i--)
        {
            _stream.ResponseBody = buffer;
            _ = Invoke(i, HttpFilterCapabilities.ResponseBody, static (f, s, eos, len) => f.OnResponseBody(s, len, eos), true, buffer.Length);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Passes one chunk of body data through the chain and appends what comes out of the last filter to
    /// <paramref name="output"/>. False when the stream ends in a local reply.
    /// </summary>
    public async ValueTask<bool> OnBodyAsync(StreamDirection direction, ReadOnlyMemory<byte> chunk, bool endOfStream, BodyBuffer output, CancellationToken cancellationToken)
    {
        _stream.Phase = direction;
        var request = direction == StreamDirection.Request;
        var capability = request ? HttpFilterCapabilities.RequestBody : HttpFilterCapabilities.ResponseBody;
        var stages = request ? _requestStages : _responseStages;
        BodyBuffer? carried = null;
        var data = chunk;
        for (var step = 0; step < _filters.Length; step++)
        {
            var i = request ? step : _filters.Length - 1 - step;
            if (_filters[i] is null || (_chain.Factories[i].Capabilities & capability) == 0)
            {
                continue;
            }

            var stage = stages[i] ??= new BodyBuffer { GuestLimit = _chain.BodyBufferLimit };
            stage.Append(data.Span);
            carried?.Clear();
            if (stage.Length > _chain.BodyBufferLimit)
            {
                _stream.SendLocalResponse(request ? 413 : 500, request ? "request body too large" : "response body too large",
                    $"body buffer of filter {_chain.Factories[i].Name} exceeded its limit of {_chain.BodyBufferLimit} bytes");
                return false;
            }

            if (request)
            {
                _stream.RequestBody = stage;
            }
            else
            {
                _stream.ResponseBody = stage;
            }

            var status = Invoke(i, capability, request
                ? static (f, s, eos, len) => f.OnRequestBody(s, len, eos)
                : static (f, s, eos, len) => f.OnResponseBody(s, len, eos), endOfStream, stage.Length);
            if (_stream.LocalResponse is not null)
            {
                return false;
            }

            if (status == FilterStatus.StopIteration)
            {
                if (!endOfStream)
                {
                    return true;
                }

                await WaitForFilterAsync(i, cancellationToken);
                if (_stream.LocalResponse is not null)
                {
                    return false;
                }
            }

            // The stage's content flows on; it is cleared once the next stage has copied it.
            data = stage.Memory;
            carried = stage;
        }

        output.Append(data.Span);
        carried?.Clear();
        return true;
    }

    /// <summary>
    /// Runs trailers through the chain, then releases any body data still held by filters that waited for an end
    /// of stream that came as trailers. False when the stream ends in a local reply.
    /// </summary>
    public async ValueTask<bool> OnTrailersAsync(StreamDirection direction, BodyBuffer output, CancellationToken cancellationToken)
    {
        _stream.Phase = direction;
        var request = direction == StreamDirection.Request;
        var capability = request ? HttpFilterCapabilities.RequestTrailers : HttpFilterCapabilities.ResponseTrailers;
        var stages = request ? _requestStages : _responseStages;
        for (var step = 0; step < _filters.Length && _stream.LocalResponse is null; step++)
        {
            var i = request ? step : _filters.Length - 1 - step;
            var status = Invoke(i, capability, request
                ? static (f, s, _, _) => f.OnRequestTrailers(s)
                : static (f, s, _, _) => f.OnResponseTrailers(s), false, 0);
            if (status == FilterStatus.StopIteration)
            {
                await WaitForFilterAsync(i, cancellationToken);
            }
        }

        for (var step = 0; step < stages.Length; step++)
        {
            var stage = stages[request ? step : stages.Length - 1 - step];
            if (stage is not null)
            {
                output.Append(stage.Span);
                stage.Clear();
            }
        }

        return _stream.LocalResponse is null;
    }

    /// <summary>Tells every filter the stream is over. Safe to call more than once.</summary>
    public void Complete()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        for (var i = 0; i < _filters.Length; i++)
        {
            var filter = _filters[i];
            if (filter is null)
            {
                continue;
            }

            try
            {
                filter.OnStreamDone(_stream);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFilterFailed(_logger, _chain.Factories[i].Name, "on_done", ex);
            }
        }
    }

    public void Dispose()
    {
        Complete();
        foreach (var stage in _requestStages)
        {
            stage?.Dispose();
        }

        foreach (var stage in _responseStages)
        {
            stage?.Dispose();
        }
    }

    /// <summary>
    /// Waits while filter <paramref name="index"/> holds the stream. One that holds it past the stream idle timeout
    /// gets the stream answered 408, as Envoy's stream idle timeout does.
    /// </summary>
    private async Task WaitForFilterAsync(int index, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WaitForResumeAsync(_chain.StreamIdleTimeout, _chain.TimeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogStreamIdleTimeout(_logger, _chain.Factories[index].Name, _chain.StreamIdleTimeout);
            _stream.SendLocalResponse(408, "stream timeout", "stream_idle_timeout");
        }
    }

    private FilterStatus Invoke(int index, HttpFilterCapabilities capability, Func<IHttpFilter, HttpExchange, bool, int, FilterStatus> callback, bool endOfStream, int length)
    {
        var filter = _filters[index];
        if (filter is null || (_chain.Factories[index].Capabilities & capability) == 0)
        {
            return FilterStatus.Continue;
        }

        _stream.ClearResumeRequest();
        try
        {
            return callback(filter, _stream, endOfStream, length);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(index, ex);
            return FilterStatus.Continue;
        }
    }

    private void Fail(int index, Exception ex)
    {
        var factory = _chain.Factories[index];
        _filters[index] = null;
        _metrics.FilterFailed(factory.Name);
        LogFilterFailed(_logger, factory.Name, factory.FailurePolicy.ToString(), ex);
        if (factory.FailurePolicy != FailurePolicy.FailOpen)
        {
            _stream.ForceLocalResponse(new LocalResponse(503, $"filter {factory.Name} failed: {ex.Message}", "filter failed"u8.ToArray(), new HeaderMap()));
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Filter {Filter} held the stream paused for {Timeout} without continuing it; answered 408 (stream idle timeout)")]
    private static partial void LogStreamIdleTimeout(ILogger logger, string filter, TimeSpan timeout);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Filter {Filter} failed (policy {Policy})")]
    private static partial void LogFilterFailed(ILogger logger, string filter, string policy, Exception exception);
}
