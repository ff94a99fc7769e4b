using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>Envoy streams a request body of any size when no filter buffers it; so does wasme run.</summary>
public sealed class LargeBodyTests
{
    [Fact]
    public async Task A_request_body_over_kestrels_default_30_MB_limit_streams_to_the_upstream()
    {
        await using var upstream = await CountingUpstreamAsync();
        await using var proxy = await RunningProxy.StartAsync(new Uri(upstream.Urls.Single()), []);
        const int size = 31_000_000;

        using var response = await proxy.Client.PostAsync("/upload", new ByteArrayContent(new byte[size]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    // An upstream without Kestrel's body limit that answers with the number of body bytes it read.
    private static async Task<WebApplication> CountingUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            await context.Response.WriteAsync(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        return app;
    }
}
