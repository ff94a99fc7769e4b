using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Wasme.ProxyWasm;
using Yarp.ReverseProxy.Forwarder;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// The local reply Envoy's router sends when the upstream fails before its response headers: 503 for a connection
/// that failed or ended, 502 for a protocol error, 504 for a timeout, each with Envoy's plain-text body, so a client
/// (and a filter's response callbacks) see what a sidecar would say instead of an empty 502.
/// </summary>
internal static class UpstreamFailureReply
{
    private const string Prefix = "upstream connect error or disconnect/reset before headers. reset reason: ";

    /// <summary>The reply for a forwarding error, or null when the client caused it (YARP's answer stands).</summary>
    public static LocalResponse? For(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.RequestTimedOut => Reply(504, "upstream request timeout", "upstream_response_timeout"),
        ForwarderError.Request or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders => ForReset(exception),
        _ => null,
    };

    /// <summary>
    /// True when the client, not the upstream, ended the exchange (it went away, reset, or sent a body Kestrel refused):
    /// Envoy counts those as downstream resets, not upstream failures.
    /// </summary>
    public static bool CausedByClient(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseCanceled
        or ForwarderError.UpgradeResponseClient;

    private static LocalResponse ForReset(Exception? exception)
    {
        var kind = Classify(exception);
        return kind switch
        {
            HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded =>
                Reset(502, "protocol error"),
            HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError when Find<SocketException>(exception) is { } socket =>
                Reset(503, "remote connection failure", "delayed connect error: " + socket.NativeErrorCode.ToString(CultureInfo.InvariantCulture)),
            HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError =>
                Reset(503, "remote connection failure"),
            _ when Find<TimeoutException>(exception) is not null => Reset(503, "connection timeout"),
            _ => Reset(503, "connection termination"),
        };
    }

    private static HttpRequestError Classify(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } request:
                    return request.HttpRequestError;
                case HttpIOException { HttpRequestError: not HttpRequestError.Unknown } io:
                    return io.HttpRequestError;
            }
        }

        return HttpRequestError.Unknown;
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static LocalResponse Reset(int status, string reason, string? transportFailure = null)
    {
        var body = transportFailure is null ? Prefix + reason : $"{Prefix}{reason}, transport failure reason: {transportFailure}";
        var details = "upstream_reset_before_response_started{" + reason.Replace(' ', '_') + (transportFailure is null ? string.Empty : "," + transportFailure.Replace(' ', '_')) + "}";
        return Reply(status, body, details);
    }

    private static LocalResponse Reply(int status, string body, string details) =>
        new(status, details, Encoding.UTF8.GetBytes(body), new HeaderMap());
}
