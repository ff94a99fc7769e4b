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
    public static HeaderMap ReadRequest(HttpRequest request)
    {
        var map = new HeaderMap(request.Headers.Count + 4);
        map.Add(":authority", request.Host.Value ?? string.Empty);
        map.Add(":path", PathAndQuery(request));
        map.Add(":method", request.Method);
        map.Add(":scheme", request.Scheme);
        foreach (var (name, values) in request.Headers)
        {
            // HTTP/1.1's Host is HTTP/2's :authority; Envoy shows only the latter.
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                Add(map, name, values);
            }
        }

        return map;
    }

    /// <summary>Writes the filtered request headers back so the forwarder sends them.</summary>
    public static void ApplyRequest(HeaderMap map, HttpRequest request)
    {
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

    public static HeaderMap ReadResponse(HttpResponse response)
    {
        var map = new HeaderMap(response.Headers.Count + 1);
        map.Add(":status", StatusText(response.StatusCode));
        AddAll(map, response.Headers);
        return map;
    }

    /// <summary>Writes the filtered response headers (and <c>:status</c>) back before they are sent.</summary>
    public static void ApplyResponse(HeaderMap map, HttpResponse response)
    {
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

    public static void AddAll(HeaderMap map, IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> headers)
    {
        foreach (var (name, values) in headers)
        {
            Add(map, name, values);
        }
    }

    private static void Add(HeaderMap map, string name, Microsoft.Extensions.Primitives.StringValues values)
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

                var query = value.IndexOf('?', StringComparison.Ordinal);
                request.PathBase = PathString.Empty;
                request.Path = PathString.FromUriComponent(query < 0 ? value : value[..query]);
                request.QueryString = query < 0 ? QueryString.Empty : QueryString.FromUriComponent(value[query..]);
                break;
            case ":method":
                request.Method = value;
                break;
            case ":scheme":
                request.Scheme = value;
                break;
        }
    }

    private static string StatusText(int code) => code == 200 ? "200" : code.ToString(CultureInfo.InvariantCulture);
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
