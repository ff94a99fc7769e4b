using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// Closes HTTP connections past the limit as they arrive, as Kestrel's own limit does, but says so once: Kestrel's
/// rejections go to a log this host does not show, and a user whose clients are cut off must learn why (the TCP listener
/// warns the same way; Envoy counts them in <c>downstream_cx_overflow</c>).
/// </summary>
internal sealed partial class HttpConnectionLimit(int limit, long openFiles, ILogger logger)
{
    private int _open;
    private int _warned;

    public ConnectionDelegate Apply(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _open) > limit)
        {
            Interlocked.Decrement(ref _open);
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                LogLimitReached(logger, limit, openFiles);
            }

            await connection.Transport.Input.CompleteAsync();
            await connection.Transport.Output.CompleteAsync();
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    };

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "The limit of {Limit} HTTP connections reached: new connections are closed as they arrive until some end (each proxied connection holds two file descriptors, and ulimit -n allows {OpenFiles}; raise it for more)")]
    private static partial void LogLimitReached(ILogger logger, int limit, long openFiles);
}
