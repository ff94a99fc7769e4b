using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>An upgraded connection (WebSocket) tunnels both ways through a filter chain, as Envoy's upgrade support does.</summary>
public sealed class UpgradeTests
{
    [Fact]
    public async Task Bytes_after_a_101_reach_the_upstream_and_come_back_through_a_filter_chain()
    {
        await using var upstream = await EchoingUpgradeUpstreamAsync();
        var connection = new List<string>();
        var stamp = new DelegateFilter("stamp")
        {
            RequestHeaders = (s, _) => { connection.AddRange(s.RequestHeaders.GetValues("connection")); return FilterStatus.Continue; },
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-stamped", "1"); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(new Uri(upstream.Urls.Single()), [stamp]);
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Server.ListenEndpoint);
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
        var head = await ReadUntilAsync(stream, "\r\n\r\n");
        await stream.WriteAsync("ping"u8.ToArray());
        var echoed = await ReadUntilAsync(stream, "echo:ping");

        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        Assert.Contains("x-stamped: 1", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("echo:ping", echoed);
        Assert.Equal(["Upgrade"], connection);
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string end)
    {
        var text = new StringBuilder();
        var buffer = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(buffer) == 0)
            {
                break;
            }

            text.Append((char)buffer[0]);
        }

        return text.ToString();
    }

    // Accepts any upgrade and answers each read with "echo:" and the bytes read.
    private static async Task<WebApplication> EchoingUpgradeUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async context =>
        {
            var upgrade = context.Features.Get<IHttpUpgradeFeature>()!;
            context.Response.Headers.Upgrade = "websocket";
            await using var tunnel = await upgrade.UpgradeAsync();
            var buffer = new byte[4096];
            int read;
            while ((read = await tunnel.ReadAsync(buffer)) > 0)
            {
                await tunnel.WriteAsync(Encoding.ASCII.GetBytes("echo:" + Encoding.ASCII.GetString(buffer, 0, read)));
                await tunnel.FlushAsync();
            }
        });
        await app.StartAsync();
        return app;
    }
}
