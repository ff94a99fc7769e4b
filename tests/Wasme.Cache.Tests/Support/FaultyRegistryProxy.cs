using Microsoft.AspNetCore.Http;
using Wasme.Testing.Registry;

namespace Wasme.Cache.Tests.Support;

/// <summary>
/// Sits in front of the real registry and passes everything through, except that the answer for one
/// path can be scripted: cut after half the bytes, or tampered.
/// </summary>
internal sealed class FaultyRegistryProxy : IAsyncDisposable
{
    private readonly HttpClient _upstream;
    private ScriptedRegistry _server = null!;

    private FaultyRegistryProxy(string upstreamHost)
    {
        _upstream = new HttpClient { BaseAddress = new Uri($"http://{upstreamHost}/") };
    }

    public string Host => _server.Host;

    /// <summary>Path to fault, e.g. the module blob; others pass through.</summary>
    public string? FaultPath { get; set; }

    public Func<HttpContext, byte[], Task>? Fault { get; set; }

    public int FaultPathRequests;

    public static async Task<FaultyRegistryProxy> StartAsync(string upstreamHost)
    {
        var proxy = new FaultyRegistryProxy(upstreamHost);
        proxy._server = await ScriptedRegistry.StartAsync(proxy.HandleAsync);
        return proxy;
    }

    /// <summary>Sends the headers of the whole blob and half its bytes, then drops the connection.</summary>
    public static async Task CutHalfway(HttpContext context, byte[] body)
    {
        context.Response.ContentLength = body.Length;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
        await context.Response.Body.FlushAsync();
        context.Abort();
    }

    /// <summary>Serves the blob with one byte changed.</summary>
    public static async Task Tamper(HttpContext context, byte[] body)
    {
        var tampered = body.ToArray();
        tampered[^1] ^= 0xff;
        context.Response.ContentLength = tampered.Length;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(tampered);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        foreach (var accept in context.Request.Headers.Accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _upstream.SendAsync(request, context.RequestAborted);
        var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (context.Request.Path == FaultPath && Fault is { } fault)
        {
            Interlocked.Increment(ref FaultPathRequests);
            await fault(context, body);
            return;
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Content-Length"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.ContentLength = response.Content.Headers.ContentLength;
            return;
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _upstream.Dispose();
    }
}
