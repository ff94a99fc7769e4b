using System.Net;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// An upstream that fails before its response headers gets Envoy's local reply (status and plain-text body), and the
/// filters' response callbacks run on it as Envoy's encoder filters do.
/// </summary>
public sealed class UpstreamFailureTests
{
    private const string Prefix = "upstream connect error or disconnect/reset before headers. reset reason: ";

    [Fact]
    public async Task An_upstream_that_refuses_connections_is_a_503_naming_the_connection_failure()
    {
        var stamp = Stamp();
        using var refusing = new RefusingPort();
        await using var proxy = await RunningProxy.StartAsync(refusing.Url, [stamp]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Prefix + "remote connection failure, transport failure reason: delayed connect error: 111", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", response.Headers.GetValues("x-stamped").Single());
    }

    [Fact]
    public async Task An_upstream_that_answers_garbage_is_a_502_protocol_error()
    {
        await using var upstream = RawUpstream.Start("THIS IS NOT HTTP\r\n\r\n");
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [Stamp()]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(Prefix + "protocol error", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", response.Headers.GetValues("x-stamped").Single());
    }

    [Fact]
    public async Task An_upstream_that_closes_before_answering_is_a_503_connection_termination()
    {
        await using var upstream = RawUpstream.Start(string.Empty);
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(Prefix + "connection termination", await response.Content.ReadAsStringAsync());
    }

    private static DelegateFilter Stamp() => new("stamp")
    {
        ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-stamped", "1"); return FilterStatus.Continue; },
    };

}
