using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wasme.Testing.Registry;

/// <summary>
/// A Kestrel server on 127.0.0.1 whose every answer the test scripts: a registry that tampers
/// with content, fails, or redirects. Records each request's path and Authorization header.
/// </summary>
public sealed class ScriptedRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedRegistry(WebApplication app) => _app = app;

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host { get; private set; } = string.Empty;

    public Uri BaseUri => new($"http://{Host}/");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<ScriptedRegistry> StartAsync(Func<HttpContext, Task> handler, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var registry = new ScriptedRegistry(app);
        app.Run(async context =>
        {
            registry.Requests.Enqueue(new RecordedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.Authorization.ToString()));
            await handler(context);
        });
        await app.StartAsync(cancellationToken);
        registry.Host = new Uri(app.Urls.First()).Authority;
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string PathAndQuery, string Authorization);
