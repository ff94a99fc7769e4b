using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wasme.Oci.Formats;
using Wasme.Oci.References;

namespace Wasme.Testing.Registry;

/// <summary>
/// A Kestrel server on 127.0.0.1 (or another loopback address such as 127.0.0.2, a different host
/// to the client) whose every answer the test scripts: a registry that tampers with content,
/// fails, stalls or redirects. Records each request's path and Authorization header.
/// </summary>
public sealed class ScriptedRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedRegistry(WebApplication app) => _app = app;

    /// <summary><c>127.0.0.1:PORT</c> (the address it listens on, and its port).</summary>
    public string Host { get; private set; } = string.Empty;

    public Uri BaseUri => new($"http://{Host}/");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>
    /// Serves <paramref name="image"/> under any repository: its manifest as is, and each blob through
    /// <paramref name="blob"/>, which the test scripts (tamper, stall, truncate). Unknown blobs are 404.
    /// </summary>
    public static Task<ScriptedRegistry> ServingImageAsync(PackedImage image, Func<HttpContext, ReadOnlyMemory<byte>, Task> blob, CancellationToken cancellationToken = default) =>
        StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            if (path.Contains("/manifests/", StringComparison.Ordinal))
            {
                context.Response.ContentType = image.ManifestDescriptor.MediaType;
                await context.Response.Body.WriteAsync(image.ManifestBytes);
                return;
            }

            if (Digest.TryParse(path[(path.LastIndexOf('/') + 1)..], out var digest) && image.Blobs.TryGetValue(digest, out var content))
            {
                await blob(context, content);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }, cancellationToken);

    public static Task<ScriptedRegistry> StartAsync(Func<HttpContext, Task> handler, CancellationToken cancellationToken = default) =>
        StartAsync(IPAddress.Loopback, handler, cancellationToken);

    public static async Task<ScriptedRegistry> StartAsync(IPAddress address, Func<HttpContext, Task> handler, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(address, 0));
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
