namespace Wasme.ProxyWasm;

/// <summary>
/// Connection and request facts the data plane knows and the host answers as properties
/// (<c>source.*</c>, <c>destination.*</c>, <c>request.protocol</c>, <c>request.id</c>, <c>connection.*</c>).
/// Request and response header properties (<c>request.path</c>, <c>response.code</c>, …) come from
/// the header maps the stream has seen, so they need not be copied here.
/// </summary>
public sealed class StreamInfo
{
    public string? SourceAddress { get; set; }

    public int SourcePort { get; set; }

    public string? DestinationAddress { get; set; }

    public int DestinationPort { get; set; }

    /// <summary>"HTTP/1.0", "HTTP/1.1", "HTTP/2" or "HTTP/3".</summary>
    public string Protocol { get; set; } = "HTTP/1.1";

    public string? RequestId { get; set; }

    public ulong ConnectionId { get; set; }

    public bool IsTls { get; set; }

    public string? RequestedServerName { get; set; }

    /// <summary>When the request started; <c>request.time</c>. Defaults to the host's clock at stream creation.</summary>
    public DateTimeOffset? StartTime { get; set; }

    /// <summary>Bytes of request body seen so far; <c>request.size</c>.</summary>
    public long RequestBodySize { get; set; }

    /// <summary>Bytes of response body seen so far; <c>response.size</c>.</summary>
    public long ResponseBodySize { get; set; }

    /// <summary>Name of the upstream route/cluster, for <c>xds.route_name</c>/<c>xds.cluster_name</c>.</summary>
    public string? RouteName { get; set; }

    public string? ClusterName { get; set; }

    /// <summary>The route's metadata for <c>xds.route_metadata</c>: dotted paths below it (<c>filter_metadata.NS.KEY</c>) and their values.</summary>
    public IReadOnlyDictionary<string, string>? RouteMetadata { get; set; }
}
