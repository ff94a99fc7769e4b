using System.Net;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Upstreams;

/// <summary>
/// Sends filters' gRPC calls and streams to the clusters given with <c>--cluster NAME=URL</c> over HTTP/2, as
/// Envoy's gRPC client does: cleartext h2 with prior knowledge for <c>http://</c> clusters, TLS with ALPN for
/// <c>https://</c>. Raw HTTP/2 rather than a gRPC client library, because the filter is handed the response headers
/// and trailers as Envoy hands them on (<c>content-type</c>, <c>grpc-status</c>, <c>-bin</c> values still base64),
/// and messages are opaque bytes.
/// </summary>
public sealed partial class ClusterGrpcCalls : IGrpcCallDispatcher, IDisposable
{
    private readonly UnknownClusterWarnings _unknown;
    private readonly IReadOnlyDictionary<string, Uri> _clusters;
    private readonly HttpMessageInvoker _client;
    private readonly int _maxMessageBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterGrpcCalls(IReadOnlyDictionary<string, Uri> clusters, int maxMessageBytes, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageBytes);
        _clusters = clusters;
        _maxMessageBytes = maxMessageBytes;
        _logger = logger;
        _unknown = new UnknownClusterWarnings(logger, "gRPC call");
        _time = time ?? TimeProvider.System;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        });
    }

    public bool HasGrpcCluster(string cluster)
    {
        if (_clusters.ContainsKey(cluster))
        {
            return true;
        }

        _unknown.Warn(cluster);

        return false;
    }

    public IGrpcCall StartGrpcCall(GrpcCallRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_clusters.TryGetValue(request.Cluster, out var baseUri))
        {
            throw new ArgumentException($"unknown cluster '{request.Cluster}': pass --cluster {request.Cluster}=URL", nameof(request));
        }

        var call = new GrpcUpstreamCall(_client, baseUri, request, _maxMessageBytes, _time);
        call.Start();
        return call;
    }

    public void Dispose() => _client.Dispose();
}
