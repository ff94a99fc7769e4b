using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Streams;

/// <summary>
/// The response about to be sent as the filters' response header map reads it in place: <c>:status</c>, then every
/// header lower-cased, one entry per value, as <see cref="HeaderCodec.ReadResponse"/> copies them. The data plane
/// detaches the map (<see cref="HeaderMap.Detach"/>) before it changes the response's headers.
/// </summary>
public sealed class ResponseHeaderSource : HeaderSource
{
    private readonly HttpResponse _response;
    private readonly IHeaderDictionary _headers;

    public ResponseHeaderSource(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _response = response;
        // The same dictionary for the whole exchange; each look-up through the request would go through its features.
        _headers = response.Headers;
    }

    /// <summary>The response read.</summary>
    public HttpResponse Response => _response;

    // Names, in O(1), as for requests: a header with several values (Set-Cookie) counts once; a listing shows each.
    public override int Count => 1 + _headers.Count;

    public override bool TryGetValue(string loweredName, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(loweredName);
        if (loweredName.Length > 0 && loweredName[0] == ':')
        {
            value = string.Equals(loweredName, ":status", StringComparison.Ordinal) ? Status : null;
            return value is not null;
        }

        return HeaderSources.TryGetFirst(_headers, loweredName, out value);
    }

    public override bool TryGetValue(ReadOnlySpan<byte> asciiName, [NotNullWhen(true)] out string? value)
    {
        if (asciiName.Length > 0 && asciiName[0] == (byte)':')
        {
            value = System.Text.Ascii.EqualsIgnoreCase(asciiName, ":status"u8) ? Status : null;
            return value is not null;
        }

        return HeaderSources.TryGetFirst(_headers, HeaderSources.Name(asciiName), out value);
    }

    public override void CopyTo(HeaderMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        map.Add(":status", Status);
        foreach (var (name, values) in _headers)
        {
            HeaderCodec.Add(map, name, values);
        }
    }

    private string Status => HeaderCodec.StatusText(_response.StatusCode);
}
