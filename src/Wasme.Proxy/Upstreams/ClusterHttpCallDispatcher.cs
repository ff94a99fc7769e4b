using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Upstreams;

/// <summary>
/// Sends filters' <c>http_call</c>s to the named upstreams given with <c>--cluster NAME=URL</c>, as Envoy sends
/// them to its clusters: the call's <c>:path</c> is resolved against the cluster's URL, <c>:authority</c> becomes
/// the Host header, and the response body is bounded. gRPC calls to the same clusters go through <see cref="ClusterGrpcCalls"/>.
/// </summary>
public sealed partial class ClusterHttpCallDispatcher : IHttpCallDispatcher, IGrpcCallDispatcher, IDisposable
{
    private readonly UnknownClusterWarnings _unknown;
    private readonly ILogger _logger;
    private readonly IReadOnlyDictionary<string, Uri> _clusters;
    private readonly HttpMessageInvoker _client;
    private readonly int _maxResponseBytes;
    private readonly ClusterGrpcCalls _grpc;

    public ClusterHttpCallDispatcher(IReadOnlyDictionary<string, Uri> clusters, int maxResponseBytes, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _unknown = new UnknownClusterWarnings(_logger, "http_call");
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxResponseBytes);
        _clusters = clusters;
        _maxResponseBytes = maxResponseBytes;
        _grpc = new ClusterGrpcCalls(clusters, maxResponseBytes, _logger);
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
            ResponseHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        });
    }

    public bool HasCluster(string cluster)
    {
        if (_clusters.ContainsKey(cluster))
        {
            return true;
        }

        _unknown.Warn(cluster);

        return false;
    }

    public async Task<HttpCallResponse> SendAsync(HttpCallRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_clusters.TryGetValue(request.Cluster, out var baseUri))
        {
            throw new ArgumentException($"unknown cluster '{request.Cluster}': pass --cluster {request.Cluster}=URL");
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero)
        {
            timeoutSource.CancelAfter(timeout);
        }

        using var message = CreateRequest(request, baseUri);
        using var response = await _client.SendAsync(message, timeoutSource.Token);
        var headers = ResponseHeaders.Read(response);
        var body = await ReadBoundedAsync(response.Content, timeoutSource.Token);
        return new HttpCallResponse(headers, body, ResponseHeaders.ReadTrailers(response));
    }

    public bool HasGrpcCluster(string cluster) => _grpc.HasGrpcCluster(cluster);

    public IGrpcCall StartGrpcCall(GrpcCallRequest request) => _grpc.StartGrpcCall(request);

    public void Dispose()
    {
        _client.Dispose();
        _grpc.Dispose();
    }

    private static HttpRequestMessage CreateRequest(HttpCallRequest request, Uri baseUri)
    {
        request.Headers.TryGetValue(":method", out var method);
        request.Headers.TryGetValue(":path", out var path);
        request.Headers.TryGetValue(":authority", out var authority);
        var target = new Uri(baseUri, path ?? "/");
        var message = new HttpRequestMessage(new HttpMethod(method ?? "GET"), target)
        {
            Version = HttpVersion.Version11,
        };
        if (!string.IsNullOrEmpty(authority))
        {
            message.Headers.Host = authority;
        }

        if (!request.Body.IsEmpty || method is "POST" or "PUT" or "PATCH")
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
        }

        foreach (var (name, value) in request.Headers)
        {
            if (name.Length == 0 || name[0] == ':' || name is "host" or "content-length" or "transfer-encoding")
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > _maxResponseBytes)
        {
            throw new InvalidDataException($"http_call response of {content.Headers.ContentLength} bytes exceeds the limit of {_maxResponseBytes}");
        }

        await using var source = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _maxResponseBytes)
            {
                throw new InvalidDataException($"http_call response exceeds the limit of {_maxResponseBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
