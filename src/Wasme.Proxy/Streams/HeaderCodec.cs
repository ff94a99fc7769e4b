using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Streams;

/// <summary>
/// Moves headers between ASP.NET Core and the filters' <see cref="HeaderMap"/>: lower-case names, one entry per
/// value, pseudo headers first (<c>:authority</c>, <c>:path</c>, <c>:method</c>, <c>:scheme</c>; <c>:status</c>),
/// as Envoy presents them.
/// </summary>
internal static class HeaderCodec
{
    /// <summary>The request's headers as a map that reads them in place until a filter changes or lists them.</summary>
    public static HeaderMap ReadRequest(HttpRequest request) => new(new RequestHeaderSource(request));

    /// <summary>Writes the filtered request headers back so the forwarder sends them.</summary>
    public static void ApplyRequest(HeaderMap map, HttpRequest request)
    {
        if (map.Source is RequestHeaderSource source && source.Request == request && TryAppend(map, request.Headers))
        {
            return;
        }

        // A map still reading this request must be copied before the request's headers are cleared under it.
        map.Detach();
        request.Headers.Clear();
        foreach (var (name, value) in map)
        {
            if (name.Length > 0 && name[0] == ':')
            {
                ApplyRequestPseudo(request, name, value);
            }
            else if (name == "host")
            {
                ApplyRequestPseudo(request, ":authority", value);
            }
            else
            {
                request.Headers.Append(name, value);
            }
        }
    }

    /// <summary>The response's headers (and <c>:status</c>) as a map that reads them in place until a filter changes or lists them.</summary>
    public static HeaderMap ReadResponse(HttpResponse response) => new(new ResponseHeaderSource(response));

    /// <summary>Writes the filtered response headers (and <c>:status</c>) back before they are sent.</summary>
    public static void ApplyResponse(HeaderMap map, HttpResponse response)
    {
        if (map.Source is ResponseHeaderSource source && source.Response == response && TryAppend(map, response.Headers))
        {
            return;
        }

        map.Detach();
        response.Headers.Clear();
        foreach (var (name, value) in map)
        {
            if (name == ":status")
            {
                if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 999)
                {
                    response.StatusCode = code;
                }

                continue;
            }

            if (name.Length > 0 && name[0] == ':')
            {
                continue;
            }

            response.Headers.Append(name, value);
        }
    }

    /// <summary>
    /// A map that still reads these headers in place and only had headers added (the common add-header filter): appends
    /// those instead of rewriting every header. False when a pseudo header or <c>host</c> was added: the full rewrite
    /// translates those.
    /// </summary>
    private static bool TryAppend(HeaderMap map, IHeaderDictionary headers)
    {
        foreach (var (name, _) in map.Appended)
        {
            if ((name.Length > 0 && name[0] == ':') || name == "host")
            {
                return false;
            }
        }

        foreach (var (name, value) in map.Appended)
        {
            headers.Append(name, value);
        }

        return true;
    }

    public static void AddAll(HeaderMap map, IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> headers)
    {
        foreach (var (name, values) in headers)
        {
            Add(map, name, values);
        }
    }

    internal static void Add(HeaderMap map, string name, Microsoft.Extensions.Primitives.StringValues values)
    {
        var lower = HeaderNames.ToLower(name);
        if (values.Count == 0)
        {
            map.Add(lower, string.Empty);
            return;
        }

        foreach (var value in values)
        {
            map.Add(lower, value ?? string.Empty);
        }
    }

    public static string PathAndQuery(HttpRequest request)
    {
        // The path as Envoy would hand it on (RequestTargets): Kestrel's decoded Path would read %3B as ';'.
        if (request.HttpContext.Features.Get<Forwarding.EncodedRequestPath>() is { } encoded)
        {
            return string.Concat(encoded.Value, request.QueryString.Value);
        }

        var path = request.PathBase.HasValue ? request.PathBase.Add(request.Path) : request.Path;
        return request.QueryString.HasValue
            ? string.Concat(path.ToUriComponent(), request.QueryString.Value)
            : path.ToUriComponent();
    }

    private static void ApplyRequestPseudo(HttpRequest request, string name, string value)
    {
        switch (name)
        {
            case ":authority":
                request.Host = new HostString(value);
                break;
            case ":path":
                if (value == PathAndQuery(request))
                {
                    break;
                }

                request.PathBase = PathString.Empty;
                Forwarding.RequestTargets.SetFromFilter(request.HttpContext, value);
                break;
            case ":method":
                request.Method = value;
                break;
            case ":scheme":
                request.Scheme = value;
                break;
        }
    }

    internal static string StatusText(int code) => code == 200 ? "200" : code.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Lower-cases header names without allocating for names that are already lower case or well known.</summary>
internal static class HeaderNames
{
    private static readonly Dictionary<string, string> s_known = Create();

    public static string ToLower(string name)
    {
        if (s_known.TryGetValue(name, out var lower))
        {
            return lower;
        }

        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                return name.ToLowerInvariant();
            }
        }

        return name;
    }

    private static Dictionary<string, string> Create()
    {
        string[] names =
        [
            "Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Connection",
            "Content-Length", "Content-Type", "Cookie", "Date", "ETag", "Host", "Last-Modified", "Location",
            "Origin", "Referer", "Server", "Set-Cookie", "Transfer-Encoding", "User-Agent", "Vary",
            "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id", "Keep-Alive",
        ];
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            map[name] = name.ToLowerInvariant();
        }

        return map;
    }
}
