using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// Gives the stream the path Envoy would: the client's own request target, normalized as Istio's default path
/// normalization does (<see cref="EnvoyPathNormalizer"/>), for <c>:path</c> and the forwarded URI alike. Kestrel's
/// <see cref="HttpRequest.Path"/> is no use here: it decodes every escape but <c>%2F</c> (so <c>/a%252Fb</c> would read
/// <c>/a%2Fb</c>, an encoded slash the client never sent, and <c>%3B</c> a <c>;</c>), and for an absolute-form target
/// (<c>GET http://host/p</c>) it is <see cref="Uri.LocalPath"/>, with <c>%2F</c> decoded too.
/// </summary>
internal static class RequestTargets
{
    /// <summary>False when Envoy would refuse the path with 400 (a NUL in it).</summary>
    public static bool TryNormalize(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not { Length: > 0 })
        {
            return true;
        }

        var pathStart = target[0] == '/' ? 0 : AbsoluteFormPathStart(target);
        if (pathStart < 0)
        {
            // Asterisk or authority form: no path to normalize.
            return true;
        }

        // Istio strips a #fragment (it sets http_reject_path_with_fragment off; Envoy alone answers 400), before normalizing.
        var fragment = target.IndexOf('#', pathStart);
        if (fragment >= 0)
        {
            target = target[..fragment];
        }

        var query = target.IndexOf('?', pathStart);
        var path = query < 0 ? target[pathStart..] : target[pathStart..query];
        var normalized = EnvoyPathNormalizer.Normalize(path);
        if (normalized is null)
        {
            return false;
        }

        context.Features.Set(new EncodedRequestPath(normalized));
        if (fragment >= 0)
        {
            context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(target[query..]);
        }

        return true;
    }

    /// <summary>
    /// After a filter set <c>:path</c>: the upstream gets it as written, as Envoy sends it (Kestrel's decoded
    /// <see cref="HttpRequest.Path"/> would read <c>%3B</c> as <c>;</c> and send <c>%2F</c> back as <c>%252F</c>).
    /// Only characters a request target may not carry are escaped.
    /// </summary>
    public static void SetFromFilter(HttpContext context, string pathAndQuery)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        context.Request.Path = PathString.FromUriComponent(path);
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(EscapeForTarget(pathAndQuery[query..]));
        context.Features.Set(new EncodedRequestPath(EscapeForTarget(path)));
    }

    // RFC 3986 pchar, '/' and '?' (a query's), and '%' where it starts an escape, are kept; anything else (a space, a
    // control character, a bare '%', non-ASCII) is written as the escapes of its UTF-8 bytes.
    private static string EscapeForTarget(string value)
    {
        var first = FirstToEscape(value);
        if (first < 0)
        {
            return value;
        }

        var builder = new System.Text.StringBuilder(value.Length + 16);
        builder.Append(value, 0, first);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = first; i < value.Length; i++)
        {
            if (!NeedsEscape(value, i))
            {
                builder.Append(value[i]);
                continue;
            }

            var length = char.IsSurrogatePair(value, i) ? 2 : 1;
            var written = System.Text.Encoding.UTF8.GetBytes(value.AsSpan(i, length), utf8);
            foreach (var b in utf8[..written])
            {
                builder.Append('%').Append(System.Globalization.CultureInfo.InvariantCulture, $"{b:X2}");
            }

            i += length - 1;
        }

        return builder.ToString();
    }

    private static int FirstToEscape(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (NeedsEscape(value, i))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool NeedsEscape(string value, int i)
    {
        var c = value[i];
        if (c == '%')
        {
            return i + 2 >= value.Length || !char.IsAsciiHexDigit(value[i + 1]) || !char.IsAsciiHexDigit(value[i + 2]);
        }

        return !(char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@/?".Contains(c, StringComparison.Ordinal));
    }

    // Where the path of "http://authority/path?query" starts (its length when it has none, as "http://host?q"), or -1
    // for a target that is not absolute-form. Envoy takes the target's authority for :authority (Kestrel does too, with
    // AllowHostHeaderOverride) and its path for :path.
    private static int AbsoluteFormPathStart(string target)
    {
        var schemeEnd = target.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return -1;
        }

        var authorityStart = schemeEnd + 3;
        var end = target.IndexOfAny(['/', '?'], authorityStart);
        return end < 0 ? target.Length : end;
    }
}

/// <summary>A request path as it goes to the filters and the upstream, still percent-encoded where Envoy keeps it encoded.</summary>
internal sealed record EncodedRequestPath(string Value);
