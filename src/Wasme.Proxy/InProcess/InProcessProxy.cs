using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Chain;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Forwarding;
using Wasme.Proxy.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Wasme.Proxy.InProcess;

/// <summary>
/// The data plane's request path without sockets: a request built in code goes through the same filter chain,
/// forwarder and local-reply handling as <c>wasme run</c>, to an upstream given as an <see cref="HttpMessageHandler"/>.
/// It is what <c>wasme test</c> drives, so a filter test exercises exactly what the local proxy runs.
/// </summary>
public sealed class InProcessProxy : IDisposable
{
    /// <summary>The address the forwarder sends to; the handler given as upstream answers it.</summary>
    public static readonly Uri UpstreamAddress = new("http://upstream.wasme.test/");

    private readonly ServiceProvider _services;
    private readonly HttpMessageInvoker _upstream;
    private readonly ProxyRequestHandler _handler;
    private long _connections;

    public InProcessProxy(
        IReadOnlyList<IHttpFilterFactory> filters,
        HttpMessageHandler upstream,
        int bodyBufferLimit,
        TimeSpan streamIdleTimeout,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddLogging();
        services.AddHttpForwarder();
        _services = services.BuildServiceProvider();
        _upstream = new HttpMessageInvoker(upstream, disposeHandler: false);
        var chain = new FilterChain(filters, bodyBufferLimit, streamIdleTimeout, timeProvider);
        _handler = new ProxyRequestHandler(_services.GetRequiredService<IHttpForwarder>(), _upstream, UpstreamAddress, chain, Metrics,
            loggerFactory.CreateLogger("Wasme.Proxy"), ProxyRoute.Default);
    }

    public ProxyMetrics Metrics { get; } = new();

    /// <summary>Sends one request through the chain and returns what the client would have received.</summary>
    public async Task<InProcessResponse> SendAsync(InProcessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var exchange = new InProcessExchange(request, Interlocked.Increment(ref _connections), cancellationToken);
        await _handler.HandleAsync(exchange.Context);
        return exchange.ToResponse();
    }

    public void Dispose()
    {
        _upstream.Dispose();
        _services.Dispose();
    }

    /// <summary>The HTTP features Kestrel would give one request, backed by memory.</summary>
    private sealed class InProcessExchange : IHttpResponseFeature, IHttpResponseBodyFeature, IHttpRequestLifetimeFeature,
        IHttpRequestBodyDetectionFeature, IHttpRequestTrailersFeature, IHttpResponseTrailersFeature, IDisposable
    {
        private readonly ResponseBody _body;
        private readonly HeaderDictionary _requestTrailers = [];
        private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
        private bool _aborted;

        public InProcessExchange(InProcessRequest request, long connection, CancellationToken cancellationToken)
        {
            RequestAborted = cancellationToken;
            _body = new ResponseBody(this);
            var hasBody = request.BodyChunks.Count > 0 || request.Trailers.Count > 0;
            var requestFeature = new HttpRequestFeature
            {
                Method = request.Method,
                Scheme = "http",
                Protocol = "HTTP/1.1",
                PathBase = string.Empty,
                Path = request.PathAndQuery.Split('?', 2)[0],
                QueryString = request.PathAndQuery.Contains('?', StringComparison.Ordinal) ? "?" + request.PathAndQuery.Split('?', 2)[1] : string.Empty,
                RawTarget = request.PathAndQuery,
                Headers = new HeaderDictionary(),
                Body = new ChunkedStream(request.BodyChunks),
            };
            requestFeature.Headers.Host = request.Authority;
            foreach (var (name, value) in request.Headers)
            {
                requestFeature.Headers.Append(name, value);
            }

            if (hasBody && !requestFeature.Headers.ContainsKey("content-length"))
            {
                if (request.Trailers.Count == 0 && request.BodyChunks.Count == 1)
                {
                    requestFeature.Headers.ContentLength = request.BodyChunks[0].Length;
                }
                else
                {
                    requestFeature.Headers.TransferEncoding = "chunked";
                }
            }

            foreach (var (name, value) in request.Trailers)
            {
                _requestTrailers.Append(name, value);
            }

            CanHaveBody = hasBody;
            var features = new FeatureCollection();
            features.Set<IHttpRequestFeature>(requestFeature);
            features.Set<IHttpResponseFeature>(this);
            features.Set<IHttpResponseBodyFeature>(this);
            features.Set<IHttpRequestLifetimeFeature>(this);
            features.Set<IHttpRequestBodyDetectionFeature>(this);
            features.Set<IHttpRequestTrailersFeature>(this);
            features.Set<IHttpResponseTrailersFeature>(this);
            features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
            {
                ConnectionId = $"wasme-test-{connection}",
                RemoteIpAddress = System.Net.IPAddress.Loopback,
                RemotePort = 40000 + (int)(connection % 20000),
                LocalIpAddress = System.Net.IPAddress.Loopback,
                LocalPort = 8080,
            });
            Context = new DefaultHttpContext(features);
        }

        public HttpContext Context { get; }

        public int StatusCode { get; set; } = 200;

        public string? ReasonPhrase { get; set; }

        public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

        [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
        Stream IHttpResponseFeature.Body
        {
            get => _body;
            set => throw new NotSupportedException("The in-process response body cannot be replaced.");
        }

        public bool HasStarted { get; private set; }

        public Stream Stream => _body;

        public System.IO.Pipelines.PipeWriter Writer => field ??= System.IO.Pipelines.PipeWriter.Create(_body, new System.IO.Pipelines.StreamPipeWriterOptions(leaveOpen: true));

        public CancellationToken RequestAborted { get; set; }

        public bool CanHaveBody { get; }

        public bool Available => true;

        IHeaderDictionary IHttpRequestTrailersFeature.Trailers => _requestTrailers;

        IHeaderDictionary IHttpResponseTrailersFeature.Trailers { get; set; } = new HeaderDictionary();

        public void OnStarting(Func<object, Task> callback, object state) => _onStarting.Add((callback, state));

        public void OnCompleted(Func<object, Task> callback, object state)
        {
        }

        public void Abort() => _aborted = true;

        public void Dispose() => _body.Dispose();

        public void DisableBuffering()
        {
        }

        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            if (HasStarted)
            {
                return;
            }

            HasStarted = true;
            foreach (var (callback, state) in _onStarting)
            {
                await callback(state);
            }
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The in-process proxy does not send files.");

        public async Task CompleteAsync()
        {
            await StartAsync();
            await Writer.FlushAsync();
        }

        public InProcessResponse ToResponse()
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in Headers)
            {
                foreach (var value in values)
                {
                    headers.Add(new(name.ToLowerInvariant(), value ?? string.Empty));
                }
            }

            var trailers = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in ((IHttpResponseTrailersFeature)this).Trailers)
            {
                foreach (var value in values)
                {
                    trailers.Add(new(name.ToLowerInvariant(), value ?? string.Empty));
                }
            }

            return new InProcessResponse(StatusCode, headers, _body.Content.ToArray(), trailers, _aborted);
        }

        /// <summary>The response body; the first write starts the response, as Kestrel's does.</summary>
        private sealed class ResponseBody(InProcessExchange owner) : MemoryStream
        {
            public MemoryStream Content => this;

            public override void Write(byte[] buffer, int offset, int count)
            {
                owner.HasStarted = true;
                base.Write(buffer, offset, count);
            }

            public override void Write(ReadOnlySpan<byte> buffer)
            {
                owner.HasStarted = true;
                base.Write(buffer);
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                await owner.StartAsync(cancellationToken);
                base.Write(buffer.Span);
            }

            public override void SetLength(long value)
            {
                // HttpResponse.Clear() truncates a seekable body; Kestrel cannot un-send bytes, so neither do we.
                if (owner.HasStarted)
                {
                    return;
                }

                base.SetLength(value);
            }
        }
    }
}

/// <summary>A body that arrives in the given chunks, one per read, as a peer's writes would: each chunk reaches the filters as its own body event.</summary>
public sealed class ChunkedStream(IReadOnlyList<ReadOnlyMemory<byte>> chunks) : Stream
{
    private int _chunk;
    private int _offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_chunk < chunks.Count && _offset == chunks[_chunk].Length)
        {
            _chunk++;
            _offset = 0;
        }

        if (_chunk == chunks.Count || buffer.IsEmpty)
        {
            return 0;
        }

        var span = chunks[_chunk].Span[_offset..];
        var count = Math.Min(span.Length, buffer.Length);
        span[..count].CopyTo(buffer);
        _offset += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}


/// <summary>A request as a client sends it. Header names are sent as given; <see cref="Authority"/> becomes Host.</summary>
public sealed record InProcessRequest
{
    public string Method { get; init; } = "GET";

    public string PathAndQuery { get; init; } = "/";

    public string Authority { get; init; } = "localhost";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The body as the client writes it; each chunk reaches the filters as its own body event.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> BodyChunks { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];
}

/// <summary>What the client received: header names in lower case; <see cref="Reset"/> when the stream was reset instead.</summary>
public sealed record InProcessResponse(
    int StatusCode,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    IReadOnlyList<KeyValuePair<string, string>> Trailers,
    bool Reset);
