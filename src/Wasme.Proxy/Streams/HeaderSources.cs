using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Streams;

/// <summary>Look-ups shared by the request and response header sources.</summary>
internal static class HeaderSources
{
    // Names filters look up most, so a look-up by the guest's bytes finds its string without allocating.
    private static readonly string[] s_common =
    [
        "accept", "accept-encoding", "accept-language", "authorization", "cache-control", "connection", "content-length",
        "content-type", "cookie", "date", "etag", "host", "last-modified", "location", "origin", "referer", "server",
        "set-cookie", "transfer-encoding", "user-agent", "vary", "x-forwarded-for", "x-forwarded-host",
        "x-forwarded-proto", "x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled",
        "x-envoy-attempt-count", "x-envoy-original-path", "grpc-status", "grpc-message", "te", "upgrade",
    ];

    public static string Name(ReadOnlySpan<byte> asciiName)
    {
        foreach (var common in s_common)
        {
            if (common.Length == asciiName.Length && System.Text.Ascii.EqualsIgnoreCase(asciiName, common))
            {
                return common;
            }
        }

        return string.Create(asciiName.Length, asciiName, static (chars, name) => System.Text.Ascii.ToLower(name, chars, out _));
    }

    public static bool TryGetFirst(IHeaderDictionary headers, string name, [NotNullWhen(true)] out string? value)
    {
        if (!headers.TryGetValue(name, out var values))
        {
            value = null;
            return false;
        }

        value = values.Count == 0 ? string.Empty : values[0] ?? string.Empty;
        return true;
    }
}
