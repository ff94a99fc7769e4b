using System.Globalization;
using System.Net.Http.Headers;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Upstreams;

/// <summary>
/// A response's header lines as a filter sees them in Envoy: <c>:status</c> first, then each line with its name
/// lower-cased and its value exactly as received. <see cref="HttpHeaders.NonValidated"/> keeps values unparsed
/// (the parsed view splits <c>Server</c> at spaces and <c>Via</c> at commas, and rewrites <c>Cache-Control</c>).
/// </summary>
/// <remarks>HttpClient keeps content headers (<c>content-type</c>, <c>content-length</c>, …) apart from the others, so
/// they follow the others here, each group in the order received.</remarks>
internal static class ResponseHeaders
{
    public static HeaderMap Read(HttpResponseMessage response)
    {
        var map = new HeaderMap(response.Headers.NonValidated.Count + response.Content.Headers.NonValidated.Count + 1);
        map.Add(":status", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        AddAll(map, response.Headers.NonValidated);
        AddAll(map, response.Content.Headers.NonValidated);
        return map;
    }

    public static HeaderMap ReadTrailers(HttpResponseMessage response)
    {
        var map = new HeaderMap();
        AddAll(map, response.TrailingHeaders.NonValidated);
        return map;
    }

    private static void AddAll(HeaderMap map, HttpHeadersNonValidated headers)
    {
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                map.Add(name, value);
            }
        }
    }
}
