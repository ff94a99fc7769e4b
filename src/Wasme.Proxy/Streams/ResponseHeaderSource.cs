using System.Diagnostics.CodeAnalysis;
using System.Globalization;
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

    public ResponseHeaderSource(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _response = response;
    }

    /// <summary>The response read.</summary>
    public HttpResponse Response => _response;

    public override int Count => CountEntries();

    public override bool TryGetValue(string loweredName, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(loweredName);
        if (loweredName.Length > 0 && loweredName[0] == ':')
        {
            value = string.Equals(loweredName, ":status", StringComparison.Ordinal) ? Status : null;
            return value is not null;
        }

        return HeaderSources.TryGetFirst(_response.Headers, loweredName, out value);
    }

    public override bool TryGetValue(ReadOnlySpan<byte> asciiName, [NotNullWhen(true)] out string? value)
    {
        if (asciiName.Length > 0 && asciiName[0] == (byte)':')
        {
            value = System.Text.Ascii.EqualsIgnoreCase(asciiName, ":status"u8) ? Status : null;
            return value is not null;
        }

        return HeaderSources.TryGetFirst(_response.Headers, HeaderSources.Name(asciiName), out value);
    }

    public override void CopyTo(HeaderMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        map.Add(":status", Status);
        foreach (var (name, values) in _response.Headers)
        {
            HeaderCodec.Add(map, name, values);
        }
    }

    private string Status => _response.StatusCode == 200 ? "200" : _response.StatusCode.ToString(CultureInfo.InvariantCulture);

    // Names, in O(1), as for requests; Set-Cookie is never joined, so each of its values counts.
    private int CountEntries()
    {
        var headers = _response.Headers;
        var cookies = headers.SetCookie.Count;
        return 1 + headers.Count + (cookies > 1 ? cookies - 1 : 0);
    }
}
