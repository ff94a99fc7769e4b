using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Wasme.Cache.Fetching;
using Wasme.Cache.Storage;

namespace Wasme.Cache.Http;

/// <summary>
/// The daemon's HTTP surface: modules by sha256 for Remote delivery, plus health and metrics.
/// A request never causes a pull: only modules some FilterDeployment wants are ever fetched, so an
/// unauthenticated caller cannot make the node download arbitrary images (the original could).
/// </summary>
public static class CacheEndpoints
{
    public const string WasmContentType = "application/wasm";

    public static IEndpointRouteBuilder MapCacheEndpoints(this IEndpointRouteBuilder endpoints, CacheServices services)
    {
        endpoints.MapMethods("/sha256/{hex}", [HttpMethods.Get, HttpMethods.Head], context => ServeModuleAsync(context, services));
        endpoints.MapGet("/healthz", context => WriteTextAsync(context, StatusCodes.Status200OK, "ok\n"));
        endpoints.MapGet("/readyz", context => services.IsReady
            ? WriteTextAsync(context, StatusCodes.Status200OK, "ready\n")
            : WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "scanning the module directory\n"));
        endpoints.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(services.Metrics.RenderPrometheus(services.Directory), context.RequestAborted);
        });
        return endpoints;
    }

    private static async Task ServeModuleAsync(HttpContext context, CacheServices services)
    {
        var hex = context.Request.RouteValues["hex"] as string;
        // The path carries the bare hex only; 'sha256:' or uppercase would give a second name for one file.
        if (hex is null || hex.Length != 64 || !ModuleDigest.TryParse(hex, out var digest))
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest,
                "The path must be /sha256/<64 lowercase hex characters>, the sha256 of the module bytes.\n");
            return;
        }

        var entry = await FindAsync(services, digest, context.RequestAborted);
        var content = entry is null ? null : services.Directory.TryOpenContent(digest);
        // Not mappable: an empty module, or its file gone or no longer the module (evicted just now, or removed or replaced
        // outside the cache before the next pass notices). The latter is a miss, not the 500 streaming a missing file throws,
        // nor the replaced file's bytes.
        if (entry is null || (content is null && (!services.Directory.Contains(digest) || !File.Exists(entry.Path))))
        {
            services.Metrics.RecordMiss();
            await WriteTextAsync(context, StatusCodes.Status404NotFound,
                $"Module sha256:{digest.Hex} is not held on this node. Modules are fetched only for FilterDeployments that reference them.\n");
            return;
        }

        using var lease = content;

        services.Metrics.RecordHit();
        services.Directory.Touch(digest);
        // Content-addressed: the bytes behind a name never change.
        var etag = $"\"sha256:{digest.Hex}\"";
        var response = context.Response;
        response.Headers.CacheControl = ImmutableCacheControl;
        response.Headers.ETag = etag;
        if (MatchesIfNoneMatch(context.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (content is null)
        {
            await TypedResults.PhysicalFile(entry.Path, WasmContentType, entityTag: new EntityTagHeaderValue(etag)).ExecuteAsync(context);
            return;
        }

        // Requests the sendfile path leaves to Kestrel: the verified file's open handle, read at offsets in chunks into
        // Kestrel's output, with a Content-Length; no open or stat per request. Not from the memory mapping: a file truncated
        // under it (by hand; root ignores the 0444 mode) makes reading the mapping SIGBUS, which killed the daemon.
        response.ContentType = WasmContentType;
        response.ContentLength = content.Memory.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var length = content.Memory.Length;
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(WriteChunkBytes, length));
        try
        {
            for (long offset = 0; offset < length;)
            {
                var read = await RandomAccess.ReadAsync(content.File.SafeFileHandle, chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - offset)), offset, context.RequestAborted);
                if (read == 0)
                {
                    // Shorter than when it was verified: end the response short, so the client sees it incomplete.
                    context.Abort();
                    return;
                }

                offset += read;
                var result = await response.BodyWriter.WriteAsync(chunk.AsMemory(0, read), context.RequestAborted);
                if (result.IsCanceled || result.IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    // Bounds what one response holds in Kestrel's buffers (and how long it holds its lease) while the client reads.
    private const int WriteChunkBytes = 256 * 1024;

    internal static readonly string ImmutableCacheControl = new CacheControlHeaderValue
    {
        Public = true,
        MaxAge = TimeSpan.FromDays(365),
        Extensions = { new("immutable") },
    }.ToString();

    private static bool MatchesIfNoneMatch(HttpRequest request, string etag)
    {
        var values = request.Headers.IfNoneMatch;
        if (values.Count == 0 || !EntityTagHeaderValue.TryParseList(values, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }

    /// <summary>A held module, or one being fetched right now (waited for, briefly), else null.</summary>
    private static async Task<ModuleEntry?> FindAsync(CacheServices services, ModuleDigest digest, CancellationToken cancellationToken)
    {
        if (services.Directory.TryGet(digest, out var entry))
        {
            return entry;
        }

        var inFlight = services.Fetcher.InFlight(digest);
        if (inFlight is null)
        {
            return null;
        }

        Interlocked.Increment(ref services.WaitingRequestCount);
        try
        {
            return await inFlight.WaitAsync(services.Options.InFlightWaitTimeout, services.TimeProvider, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The fetch failed or is slow: this request is a miss; the sync loop owns retries.
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref services.WaitingRequestCount);
        }
    }

    private static Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(text, context.RequestAborted);
    }
}

/// <summary>What the HTTP surface reads.</summary>
public sealed class CacheServices(CacheOptions options, ModuleDirectory directory, ModuleFetcher fetcher, CacheMetrics metrics, TimeProvider timeProvider)
{
    private volatile bool _ready;

    /// <summary>Requests waiting for an in-flight fetch (lets tests line up concurrent requests deterministically).</summary>
    internal int WaitingRequestCount;

    public CacheOptions Options { get; } = options;
    public ModuleDirectory Directory { get; } = directory;
    public ModuleFetcher Fetcher { get; } = fetcher;
    public CacheMetrics Metrics { get; } = metrics;
    public TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>True once the start-up scan has made the index match the disk.</summary>
    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
