using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wasme.Cli.Tests.Run;

/// <summary>A Kestrel service on 127.0.0.1:0 answering <c>200 upstream</c> with <c>x-upstream: yes</c>, counting requests.</summary>
internal sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private Upstream(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<Upstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new Upstream(app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref upstream._requests);
            context.Response.Headers["x-upstream"] = "yes";
            await context.Response.WriteAsync("upstream");
        });
        await app.StartAsync();
        upstream.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return upstream;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
