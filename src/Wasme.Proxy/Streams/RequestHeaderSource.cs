using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Streams;

/// <summary>
/// The server's parsed request as the filters' request header map reads it in place: pseudo headers
/// (<c>:authority</c>, <c>:path</c>, <c>:method</c>, <c>:scheme</c>) from the request line, then every header but
/// <c>Host</c> (HTTP/2's <c>:authority</c>), lower-cased, one entry per value, as <see cref="HeaderCodec.ReadRequest"/>
/// copies them. The data plane detaches the map (<see cref="HeaderMap.Detach"/>) before it changes the request's headers.
/// </summary>
public sealed class RequestHeaderSource : HeaderSource
{
    private readonly HttpRequest _request;
    private readonly IHeaderDictionary _headers;
    private string? _path;

    public RequestHeaderSource(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _request = request;
        // The same dictionary for the whole exchange; each look-up through the request would go through its features.
        _headers = request.Headers;
    }

    /// <summary>The request read.</summary>
    public HttpRequest Request => _request;

    // Kestrel counts names in O(1); counting values would walk every header on every request. A header line the client
    // repeated counts once here, as Envoy counts a repeated header it joins; a listing shows each value.
    public override int Count => 4 + _headers.Count - (_headers.ContainsKey("Host") ? 1 : 0);

    public override bool TryGetValue(string loweredName, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(loweredName);
        if (loweredName.Length > 0 && loweredName[0] == ':')
        {
            value = loweredName switch
            {
                ":authority" => Authority,
                ":path" => Path,
                ":method" => _request.Method,
                ":scheme" => _request.Scheme,
                _ => null,
            };
            return value is not null;
        }

        if (string.Equals(loweredName, "host", StringComparison.Ordinal))
        {
            value = null;
            return false;
        }

        return HeaderSources.TryGetFirst(_headers, loweredName, out value);
    }

    public override bool TryGetValue(ReadOnlySpan<byte> asciiName, [NotNullWhen(true)] out string? value)
    {
        if (asciiName.Length > 0 && asciiName[0] == (byte)':')
        {
            value = System.Text.Ascii.EqualsIgnoreCase(asciiName, ":path"u8) ? Path
                : System.Text.Ascii.EqualsIgnoreCase(asciiName, ":authority"u8) ? Authority
                : System.Text.Ascii.EqualsIgnoreCase(asciiName, ":method"u8) ? _request.Method
                : System.Text.Ascii.EqualsIgnoreCase(asciiName, ":scheme"u8) ? _request.Scheme
                : null;
            return value is not null;
        }

        if (System.Text.Ascii.EqualsIgnoreCase(asciiName, "host"u8))
        {
            value = null;
            return false;
        }

        return HeaderSources.TryGetFirst(_headers, HeaderSources.Name(asciiName), out value);
    }

    public override void CopyTo(HeaderMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        map.Add(":authority", Authority);
        map.Add(":path", Path);
        map.Add(":method", _request.Method);
        map.Add(":scheme", _request.Scheme);
        foreach (var (name, values) in _headers)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                HeaderCodec.Add(map, name, values);
            }
        }
    }

    private string Authority => _request.Host.Value ?? string.Empty;

    private string Path => _path ??= HeaderCodec.PathAndQuery(_request);
}
