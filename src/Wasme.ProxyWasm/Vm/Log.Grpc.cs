using Microsoft.Extensions.Logging;

namespace Wasme.ProxyWasm.Vm;

internal static partial class Log
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "Plugin '{Plugin}' gRPC call {Token} to '{Cluster}' closed with status {Status}: {Reason}")]
    public static partial void GrpcCallClosed(ILogger logger, string plugin, int token, string cluster, int status, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' called {Function} with a GrpcService this host cannot serve ({Reason}); answered {Status}")]
    public static partial void GrpcServiceRefused(ILogger logger, string plugin, string function, string reason, string status);
}
