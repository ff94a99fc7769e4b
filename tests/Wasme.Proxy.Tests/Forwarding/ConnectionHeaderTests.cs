using System.Net;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>Headers a client names in Connection are hop-by-hop: neither the filters nor the upstream get them (Envoy's HTTP/1 codec).</summary>
public sealed class ConnectionHeaderTests
{
    [Theory]
    [InlineData("x-hop")]
    [InlineData("x-hop, TE")]
    public async Task A_header_the_client_names_in_connection_reaches_neither_the_filters_nor_the_upstream(string connection)
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seenByFilter = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { seenByFilter.AddRange(s.RequestHeaders.GetValues("x-hop")); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Connection", connection);
        request.Headers.TryAddWithoutValidation("x-hop", "only for the proxy");
        request.Headers.TryAddWithoutValidation("x-end-to-end", "kept");

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = upstream.Received.Single();
        Assert.False(received.Headers.ContainsKey("x-hop"));
        Assert.Equal("kept", received.Headers["x-end-to-end"]);
        Assert.Empty(seenByFilter);
    }

    [Fact]
    public async Task Naming_x_forwarded_for_in_connection_is_refused_with_400_before_the_upstream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Connection.Add("X-Forwarded-For");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Bad Request", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.Received);
    }
}
