using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Wasme.Proxy.Hosting;

namespace Wasme.Proxy.Forwarding;

/// <summary>What Envoy's codec refuses in request headers before any filter, judged in one pass over them.</summary>
internal enum RequestHeaderVerdict
{
    Accepted,

    /// <summary>The target and headers pass Envoy's 60 KiB (431).</summary>
    TooLarge,

    /// <summary>A value holds a control character other than a tab (400).</summary>
    ControlCharacter,
}

/// <summary>
/// One pass over a request's headers for what Envoy's codec refuses while it parses them: more than
/// <see cref="EnvoyHeaderLimits.MaxRequestHeadersBytes"/> of target and headers (HTTP/1.x, counted as Envoy's codec counts
/// them: the target, then each header's name and value), and control characters other than a tab in a value (nghttp2's
/// field-value rule). Kestrel refuses only NUL, CR and LF, and would pass the rest (an escape sequence for a terminal
/// reading the upstream's logs, a vertical tab some parsers read as whitespace) to the filters and the upstream.
/// </summary>
internal static class RequestHeaderScan
{
    private static readonly SearchValues<char> s_controls = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 32).Where(c => c != '\t').Select(c => (char)c)) + "\x7F");

    public static RequestHeaderVerdict Scan(HttpRequest request)
    {
        var counted = HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol);
        long size = counted ? request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget?.Length ?? 0 : 0;
        var control = false;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                size += name.Length + value.Length;
                control = control || value.AsSpan().ContainsAny(s_controls);
            }
        }

        // Too large first, as Envoy stops reading there.
        return counted && size > EnvoyHeaderLimits.MaxRequestHeadersBytes ? RequestHeaderVerdict.TooLarge
            : control ? RequestHeaderVerdict.ControlCharacter
            : RequestHeaderVerdict.Accepted;
    }
}
