using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wasme.Testing.Http;

/// <summary>A real Kestrel upstream on 127.0.0.1:0 that records what it received.</summary>
public sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestUpstream(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public static Task<TestUpstream> StartAsync(RequestDelegate? handler = null, HttpProtocols protocols = HttpProtocols.Http1) =>
        StartCoreAsync(handler ?? EchoBodyAsync, protocols);

    private static async Task<TestUpstream> StartCoreAsync(RequestDelegate handler, HttpProtocols protocols)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = protocols);
            // Header values beyond ASCII are read and written as UTF-8, as the proxy under test sends them.
            k.RequestHeaderEncodingSelector = static _ => Encoding.UTF8;
            k.ResponseHeaderEncodingSelector = static _ => Encoding.UTF8;
        });
        var app = builder.Build();
        TestUpstream? upstream = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            upstream!.Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body.ToArray()));
            context.Request.Body = new MemoryStream(body.ToArray());
            await handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        upstream = new TestUpstream(app, new Uri(address));
        return upstream;
    }

    /// <summary>Answers 200 with the request body and an <c>x-upstream: yes</c> header.</summary>
    public static async Task EchoBodyAsync(HttpContext context)
    {
        context.Response.Headers["x-upstream"] = "yes";
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = context.Request.Body.Length;
        await context.Request.Body.CopyToAsync(context.Response.Body);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);
