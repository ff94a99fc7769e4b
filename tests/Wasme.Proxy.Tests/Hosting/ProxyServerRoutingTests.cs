using System.Net;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Hosting;

/// <summary>Which listener answers a request is fixed when the listener is configured, not learnt after start (issue 16).</summary>
public sealed class ProxyServerRoutingTests
{
    [Fact]
    public async Task An_admin_endpoint_on_the_same_port_at_another_address_does_not_capture_proxied_requests()
    {
        await using var upstream = await TestUpstream.StartAsync();
        // One port on two addresses cannot be asked of port 0: take a free one, and another if some process took it first.
        var (proxy, port) = await StartOnOnePortAsync(upstream.Url);
        await using var _ = proxy;

        using var proxied = await proxy.Client.GetAsync("/stats");
        using var admin = new HttpClient();
        using var stats = await admin.GetAsync($"http://127.0.0.2:{port}/stats");

        Assert.Single(upstream.Received);
        Assert.Equal("/stats", upstream.Received.Single().PathAndQuery);
        Assert.Contains("wasme_proxy_requests_total 1", await stats.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_echo_upstream_answers_through_the_proxy_and_the_admin_endpoint_stays_separate()
    {
        await using var proxy = await RunningProxy.StartAsync(upstream: null, []);

        using var echoed = await proxy.Client.GetAsync("/hello?x=1");
        using var admin = new HttpClient();
        using var ready = await admin.GetAsync(new Uri(proxy.AdminUrl, "ready"));

        Assert.Contains("\"path\": \"/hello?x=1\"", await echoed.Content.ReadAsStringAsync());
        Assert.NotEqual(proxy.Server.ListenEndpoint.Port, proxy.Server.Upstream.Port);
        Assert.Equal("LIVE\n", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Trace_context_headers_reach_the_upstream_unchanged()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        request.Headers.TryAddWithoutValidation("tracestate", "congo=t61rcWkgMzE");

        using var response = await proxy.Client.SendAsync(request);

        var received = upstream.Received.Single();
        Assert.Equal(traceparent, received.Headers["traceparent"]);
        Assert.Equal("congo=t61rcWkgMzE", received.Headers["tracestate"]);
    }

    [Fact]
    public async Task A_prepared_server_binds_nothing_until_it_is_told_to_listen_with_its_filters()
    {
        // wasme run prepares Kestrel while the filters load; a filter that then fails to start must leave nothing listening.
        await using var upstream = await TestUpstream.StartAsync();
        // The port is held while the server is prepared, so no other process takes it, and a prepare that bound it would fail.
        using var held = new RefusingPort();
        var port = held.Endpoint.Port;
        var options = new ProxyOptions { Listen = new IPEndPoint(IPAddress.Loopback, port), Upstream = upstream.Url };
        await using var server = await ProxyServer.PrepareAsync(options, TestLogging.Factory, TimeProvider.System, CancellationToken.None);

        held.Dispose();
        await server.ListenAsync([], [], CancellationToken.None);
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{port}/after");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/after", upstream.Received.Single().PathAndQuery);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.ListenAsync([], [], CancellationToken.None));
    }

    private static async Task<(RunningProxy Proxy, int Port)> StartOnOnePortAsync(Uri upstream)
    {
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new RefusingPort())
            {
                port = probe.Endpoint.Port;
            }

            try
            {
                var proxy = await RunningProxy.StartAsync(upstream, [], o => o with
                {
                    Listen = new IPEndPoint(IPAddress.Loopback, port),
                    Admin = new IPEndPoint(IPAddress.Parse("127.0.0.2"), port),
                });
                return (proxy, port);
            }
            catch (ProxyStartException) when (attempt < 5)
            {
                // Another process bound the port between the probe and the start.
            }
        }
    }
}
