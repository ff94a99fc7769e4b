using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Keeps a request path's <c>%25</c> (an encoded <c>%</c>) encoded. Kestrel decodes the path once and leaves
/// <c>%2F</c> encoded; decoded, <c>/a%252Fb</c> reads <c>/a%2Fb</c>, which the filters and the upstream would take
/// for an encoded slash (and <c>%2541</c> for <c>A</c>): a second decoding the client never asked for. Envoy forwards
/// such a path as it came, its dot segments removed.
/// </summary>
internal static class RequestTargets
{
    /// <summary>
    /// Gives the stream the client's own path, dot segments removed, when it holds a <c>%25</c>: a
    /// <see cref="PathString"/> cannot carry it (written out, it encodes a decoded <c>%</c> again, but keeps
    /// <c>%2F</c> as it is), so <c>:path</c> and the forwarded URI read it from <see cref="EncodedRequestPath"/>.
    /// </summary>
    public static void KeepEncodedPercent(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        // Origin form only (an absolute-form target names the same path after its authority; rare enough to leave).
        if (target is not { Length: > 0 } || target[0] != '/')
        {
            return;
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target.AsSpan() : target.AsSpan(0, query);
        if (path.IndexOf("%25", StringComparison.Ordinal) >= 0)
        {
            context.Features.Set(new EncodedRequestPath(RemoveDotSegments(path.ToString())));
        }
    }

    /// <summary>After a filter set <c>:path</c>: keeps its path encoded as given when it holds a <c>%25</c>.</summary>
    public static void SetFromFilter(HttpContext context, string path)
    {
        context.Features.Set(path.Contains("%25", StringComparison.Ordinal) ? new EncodedRequestPath(path) : null);
    }

    /// <summary>RFC 3986 section 5.2.4, with <c>%2E</c> read as a dot as Kestrel and Envoy read it.</summary>
    internal static string RemoveDotSegments(string path)
    {
        var segments = path.Split('/');
        var kept = new List<string>(segments.Length);
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (IsDots(segment, 1))
            {
                if (last)
                {
                    kept.Add(string.Empty);
                }
            }
            else if (IsDots(segment, 2))
            {
                if (kept.Count > 0)
                {
                    kept.RemoveAt(kept.Count - 1);
                }

                if (last)
                {
                    kept.Add(string.Empty);
                }
            }
            else
            {
                kept.Add(segment);
            }
        }

        return "/" + string.Join('/', kept);
    }

    private static bool IsDots(string segment, int count)
    {
        var dots = 0;
        var rest = segment.AsSpan();
        while (!rest.IsEmpty)
        {
            if (rest[0] == '.')
            {
                rest = rest[1..];
            }
            else if (rest.StartsWith("%2e", StringComparison.OrdinalIgnoreCase))
            {
                rest = rest[3..];
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots == count;
    }
}

/// <summary>A request path as sent, still percent-encoded, where the decoded <see cref="HttpRequest.Path"/> would lose what it meant.</summary>
internal sealed record EncodedRequestPath(string Value);
