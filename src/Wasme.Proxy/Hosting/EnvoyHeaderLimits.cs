using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// Request header bounds as Envoy's connection manager sets them by default (<c>max_request_headers_kb</c> 60,
/// <c>max_headers_count</c> 100, past either 431), in place of Kestrel's smaller defaults (32 KiB of headers, an 8 KiB
/// request line answered 414), so a request a sidecar takes is not refused locally.
/// </summary>
internal static class EnvoyHeaderLimits
{
    /// <summary>Envoy's <c>max_request_headers_kb</c> default, in bytes.</summary>
    public const int MaxRequestHeadersBytes = 60 * 1024;

    /// <summary>Envoy's <c>max_headers_count</c> default (also Kestrel's).</summary>
    public const int MaxHeadersCount = 100;

    // Kestrel's request buffer (MaxRequestBufferSize, 1 MiB by default), which the request line may not exceed: a longer
    // line is still Kestrel's 414.
    private const int MaxRequestLineBytes = 1024 * 1024;

    public static void Apply(KestrelServerLimits limits)
    {
        // Envoy counts the request target within its 60 KiB and answers 431 past it; Kestrel bounds the request line apart
        // and answers 414. The line may be as long as Kestrel can buffer, and RequestHeaderScan counts it as Envoy does.
        limits.MaxRequestLineSize = (int)Math.Min(MaxRequestLineBytes, limits.MaxRequestBufferSize ?? MaxRequestLineBytes);
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        limits.MaxRequestHeaderCount = MaxHeadersCount;
        // HTTP/2: Kestrel also bounds each field (16 KiB by default), which Envoy does not.
        limits.Http2.MaxRequestHeaderFieldSize = MaxRequestHeadersBytes;
    }
}
