using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// The HTTP/1 methods Envoy's codec takes (http-parser's list, which its Balsa parser keeps while
/// <c>allow_custom_methods</c> is off, the default), spelled as they are: any other method, <c>get</c> or <c>FOO</c>, is
/// refused with 400 before any filter. Kestrel takes any token, and the forwarder sends <c>delete</c> upstream as
/// <c>DELETE</c>, so a filter that refuses <c>DELETE</c> by name would let <c>delete</c> through.
/// </summary>
internal static class EnvoyMethods
{
    private static readonly HashSet<string> s_known = new(StringComparer.Ordinal)
    {
        "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH", "MERGE",
        "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE",
        "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
    };

    /// <summary>False when Envoy's HTTP/1 codec would refuse the request's method.</summary>
    public static bool IsKnown(HttpRequest request) =>
        (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol)) || s_known.Contains(request.Method);
}
