using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Request header values may hold no control character but a tab, as Envoy's codec checks them (nghttp2's field-value
/// rule: 400 otherwise, before any filter). Kestrel refuses only NUL, CR and LF, and would pass the rest (an escape
/// sequence for a terminal reading the upstream's logs, a vertical tab some parsers read as whitespace) to the filters
/// and the upstream.
/// </summary>
internal static class HeaderValueCharacters
{
    /// <summary>False when a request header value holds a control character other than a tab.</summary>
    public static bool AreValid(HttpRequest request)
    {
        foreach (var (_, values) in request.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && HasControl(value))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool HasControl(string value)
    {
        foreach (var c in value)
        {
            if ((c < ' ' && c != '\t') || c == '\x7F')
            {
                return true;
            }
        }

        return false;
    }
}
