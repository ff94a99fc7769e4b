using Microsoft.Extensions.Logging;

namespace Wasme.Proxy.Tcp;

internal static partial class TcpLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "TCP connection from {Client}: cannot reach the upstream {Upstream}: {Reason}; closing the client's connection")]
    public static partial void UpstreamUnreachable(ILogger logger, string client, string upstream, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "TCP connection from {Client} closed (peer: {Peer})")]
    public static partial void Closed(ILogger logger, string client, Wasme.ProxyWasm.PeerType peer);

    [LoggerMessage(EventId = 42, Level = LogLevel.Error, Message = "TCP connection from {Client} failed inside wasme's data plane; closed")]
    public static partial void Failed(ILogger logger, Exception exception, string client);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "TCP connection from {Client}: the filters held more than {Limit} bytes from the {Side} without letting them through; closing the connection (TcpProxyOptions.BufferLimit)")]
    public static partial void BufferLimitReached(ILogger logger, string client, int limit, string side);
}
