using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Removes the request headers an HTTP/1.x client names in <c>Connection</c>: they are hop-by-hop (RFC 9110 7.6.1)
/// and a proxy must not forward them. As Envoy's HTTP/1 codec does before any filter runs: <c>TE</c> is kept as
/// <c>trailers</c> when it offers trailers; naming <c>X-Forwarded-For</c>/<c>-Host</c>/<c>-Proto</c> or a pseudo
/// header (which would let a client strip what the proxy relies on), or ten names or more, is refused.
/// </summary>
internal static class ConnectionHeaderSanitizer
{
    private const int MaxNominated = 10;

    /// <summary>False when the request must be refused with 400.</summary>
    public static bool TrySanitize(HttpRequest request)
    {
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return true;
        }

        // Envoy's connection manager removes these before any filter runs (and Connection and Upgrade below, but for an
        // upgrade); the forwarder would drop them on the way out, but the filters would see them.
        var headers = request.Headers;
        headers.Remove("Keep-Alive");
        headers.Remove("Proxy-Connection");
        var connection = headers.Connection;
        if (StringValues.IsNullOrEmpty(connection))
        {
            // No upgrade without Connection: upgrade; an empty Connection goes too.
            if (connection.Count > 0 || headers.Upgrade.Count > 0)
            {
                headers.Remove("Connection");
                headers.Remove("Upgrade");
            }

            return true;
        }

        var tokens = new List<string>();
        foreach (var value in connection)
        {
            foreach (var token in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                tokens.Add(token);
            }
        }

        if (tokens.Count >= MaxNominated)
        {
            return false;
        }

        foreach (var token in tokens)
        {
            if (IsAny(token, "close", "keep-alive", "upgrade", "http2-settings", "connection"))
            {
                continue;
            }

            if (token.StartsWith(':') || IsAny(token, "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"))
            {
                return false;
            }

            if (IsAny(token, "te"))
            {
                var offersTrailers = request.Headers.TE.ToString()
                    .Split(',', StringSplitOptions.TrimEntries)
                    .Any(coding => coding.Equals("trailers", StringComparison.OrdinalIgnoreCase));
                if (offersTrailers)
                {
                    request.Headers.TE = "trailers";
                }
                else
                {
                    request.Headers.Remove("te");
                }

                continue;
            }

            request.Headers.Remove(token);
        }

        if (!IsUpgrade(request))
        {
            headers.Remove("Connection");
            headers.Remove("Upgrade");
        }
        else
        {
            // An upgrade keeps Connection for the filters: without the keep-alive ConnectionHeaderEncoding may have added
            // beside upgrade (it changes nothing on a connection that is about to be upgraded).
            headers.Connection = string.Join(", ", tokens.Where(t => !IsAny(t, "keep-alive")));
        }

        return true;
    }

    private static bool IsUpgrade(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true;

    /// <summary>
    /// Removes from the client's response the headers the upstream named in its <c>Connection</c> (RFC 9110 7.6.1): they
    /// were meant for the proxy's hop only. The forwarder drops <c>Connection</c> itself but copies what it names.
    /// </summary>
    public static void RemoveNominated(HttpResponseMessage upstreamResponse, HttpResponse response)
    {
        if (!upstreamResponse.Headers.NonValidated.TryGetValues("Connection", out var connection))
        {
            return;
        }

        foreach (var value in connection)
        {
            foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // Upgrade stays for a 101: the forwarder handles it, and Kestrel writes Connection itself.
                if (!IsAny(token, "close", "keep-alive", "upgrade"))
                {
                    response.Headers.Remove(token);
                }
            }
        }
    }

    private static bool IsAny(string token, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (token.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
