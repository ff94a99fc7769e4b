namespace Wasme.ProxyWasm;

/// <summary>
/// What the data plane does for one HTTP stream when the filter asks. Called on the thread that is
/// running the filter, while its VM is locked: implementations must not call back into the same
/// stream synchronously (schedule the resumption instead).
/// </summary>
public interface IStreamHost
{
    /// <summary>Facts about the connection and request, answered as Envoy properties.</summary>
    StreamInfo Info { get; }

    /// <summary>The filter (or a fail-closed policy) answers the request itself.</summary>
    void SendLocalResponse(LocalResponse response);

    /// <summary>The filter resumes a direction it paused earlier.</summary>
    void ContinueStream(StreamType direction);

    /// <summary>The filter resets a direction.</summary>
    void CloseStream(StreamType direction);
}

/// <summary>A reply the filter generates instead of the upstream's.</summary>
/// <param name="StatusCode">HTTP status.</param>
/// <param name="Details">Envoy's <c>status_code_details</c>, for logs.</param>
/// <param name="Body">Response body.</param>
/// <param name="Headers">Extra response headers (keys lower-cased).</param>
/// <param name="GrpcStatus">gRPC status, or -1 for none.</param>
public sealed record LocalResponse(int StatusCode, string Details, ReadOnlyMemory<byte> Body, HeaderMap Headers, int GrpcStatus = -1);
