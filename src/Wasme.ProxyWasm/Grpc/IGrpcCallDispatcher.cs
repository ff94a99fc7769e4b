using System.Threading.Channels;

namespace Wasme.ProxyWasm;

/// <summary>
/// Opens a filter's <c>proxy_grpc_call</c> and <c>proxy_grpc_stream</c> to a named upstream (an Envoy cluster).
/// The <see cref="IHttpCallDispatcher"/> a plugin is given serves gRPC too when it also implements this interface,
/// so one object answers every outbound call of a filter.
/// </summary>
public interface IGrpcCallDispatcher
{
    /// <summary>Whether <paramref name="cluster"/> names a known upstream.</summary>
    bool HasGrpcCluster(string cluster);

    /// <summary>
    /// Opens the call and returns at once; what the upstream answers, and every failure (connection, timeout,
    /// malformed reply), arrives as <see cref="IGrpcCall.Events"/>, which always end with a <see cref="GrpcClosed"/>
    /// unless the call is cancelled.
    /// </summary>
    IGrpcCall StartGrpcCall(GrpcCallRequest request);
}

/// <summary>
/// A call as the filter asked for it. <see cref="Authority"/> is what Envoy sends as <c>:authority</c>: the
/// cluster name, or the <c>envoy_grpc.authority</c> of a serialized GrpcService. A zero <see cref="Timeout"/>
/// means none (streams never have one).
/// </summary>
public sealed record GrpcCallRequest(string Cluster, string Authority, string Service, string Method, HeaderMap InitialMetadata, TimeSpan Timeout);

/// <summary>One open gRPC call or stream. Messages are opaque bytes: the host frames them, it never parses them.</summary>
public interface IGrpcCall
{
    /// <summary>What the upstream answered, in order.</summary>
    ChannelReader<GrpcCallEvent> Events { get; }

    /// <summary>Queues a message; false once the sending side is closed.</summary>
    bool TrySend(ReadOnlyMemory<byte> message);

    /// <summary>Ends the sending side (HTTP/2 END_STREAM); the upstream may still answer.</summary>
    void CloseSend();

    /// <summary>Resets the call (HTTP/2 RST_STREAM); no further events are read.</summary>
    void Cancel();
}

/// <summary>Something a gRPC upstream sent.</summary>
public abstract record GrpcCallEvent;

/// <summary>The response headers (for a trailers-only reply, an empty map, as Envoy hands it on).</summary>
public sealed record GrpcInitialMetadataReceived(HeaderMap Metadata) : GrpcCallEvent;

/// <summary>One message, without its 5-byte gRPC frame header.</summary>
public sealed record GrpcMessageReceived(ReadOnlyMemory<byte> Message) : GrpcCallEvent;

/// <summary>The trailers (for a trailers-only reply, its headers).</summary>
public sealed record GrpcTrailingMetadataReceived(HeaderMap Metadata) : GrpcCallEvent;

/// <summary>The call ended with a gRPC status (<see cref="GrpcStatusCode"/>) and its message.</summary>
public sealed record GrpcClosed(int Status, string Message) : GrpcCallEvent;

/// <summary>The gRPC status codes the host itself reports (the upstream may send any).</summary>
public static class GrpcStatusCode
{
    public const int Ok = 0;
    public const int Unknown = 2;
    public const int DeadlineExceeded = 4;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int Unimplemented = 12;
    public const int Internal = 13;
    public const int Unavailable = 14;
    public const int Unauthenticated = 16;
}
