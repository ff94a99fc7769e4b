using Microsoft.AspNetCore.Http;
using Wasme.Testing.Registry;

namespace Wasme.E2E.Tests;

/// <summary>
/// Passes everything through to a real registry, except that while <see cref="Stall"/> is set the answer for
/// <see cref="StallPath"/> sends its headers and half the body, then hangs until the client goes away: a
/// registry that stops mid-pull, so a process can be caught in the middle of a fetch.
/// </summary>
internal sealed class StallingRegistryProxy : IAsyncDisposable
{
    private readonly HttpClient _upstream;
    private ScriptedRegistry _server = null!;
    private int _stalled;

    private StallingRegistryProxy(string upstreamHost) => _upstream = new HttpClient { BaseAddress = new Uri($"http://{upstreamHost}/") };

    public string Host => _server.Host;

    public required string StallPath { get; init; }

    public bool Stall { get; set; } = true;

    /// <summary>How many requests for <see cref="StallPath"/> are hanging now or hung before.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    public static async Task<StallingRegistryProxy> StartAsync(string upstreamHost, string stallPath)
    {
        var proxy = new StallingRegistryProxy(upstreamHost) { StallPath = stallPath };
        proxy._server = await ScriptedRegistry.StartAsync(proxy.HandleAsync);
        return proxy;
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
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Content-Length"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        context.Response.ContentLength = HttpMethods.IsHead(context.Request.Method) ? response.Content.Headers.ContentLength : body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        if (Stall && context.Request.Path == StallPath)
        {
            Interlocked.Increment(ref _stalled);
            await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client died or gave up: what this proxy is for.
            }

            return;
        }

        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _upstream.Dispose();
    }
}
