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

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "TCP connection from {Client}: no bytes either way for {Timeout}; closing it (--tcp-idle-timeout)")]
    public static partial void IdleTimeout(ILogger logger, string client, TimeSpan timeout);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "{Limit} TCP connections are open: closing new ones as they arrive until some end (--tcp-max-connections)")]
    public static partial void ConnectionLimitReached(ILogger logger, int limit);

    [LoggerMessage(EventId = 46, Level = LogLevel.Debug, Message = "TCP connection from {Client} closed at once: {Limit} connections are open (--tcp-max-connections)")]
    public static partial void OverLimit(ILogger logger, string client, int limit);

    [LoggerMessage(EventId = 47, Level = LogLevel.Warning, Message = "Accepting a TCP connection failed: {Reason}; retrying shortly")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 48, Level = LogLevel.Warning, Message = "Accepting at most {Fitted} TCP connections, not {Requested}: each holds two file descriptors and this process may open {OpenFiles} (ulimit -n); raise ulimit -n for more (--tcp-max-connections)")]
    public static partial void ConnectionLimitLowered(ILogger logger, int fitted, int requested, long openFiles);
}
