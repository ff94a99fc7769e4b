using System.Net;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>What an upstream says for its own hop only never reaches the client.</summary>
public sealed class HostileUpstreamTests
{
    [Fact]
    public async Task Headers_the_upstream_names_in_connection_are_not_forwarded_to_the_client()
    {
        await using var upstream = RawUpstream.Start("HTTP/1.1 200 OK\r\nConnection: close, x-hop\r\nX-Hop: for the proxy\r\nX-End-To-End: kept\r\nContent-Length: 2\r\n\r\nok");
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("x-hop"), "a header the upstream named in Connection reached the client");
        Assert.Equal("kept", response.Headers.GetValues("x-end-to-end").Single());
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }
}
