using System.Net;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>A 204 carries no body and no Content-Length (RFC 9110 8.6); Envoy's codec drops one an upstream sent.</summary>
public sealed class BodylessResponseTests
{
    [Fact]
    public async Task A_204_whose_upstream_sent_a_content_length_reaches_the_client_as_a_204_without_one()
    {
        await using var upstream = RawUpstream.Start("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kept: 1\r\n\r\nhello");
        var stamp = new DelegateFilter("stamp")
        {
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-stamped", "1"); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [stamp]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(response.Content.Headers.NonValidated.Contains("Content-Length"));
        Assert.Equal("1", response.Headers.GetValues("x-kept").Single());
        Assert.Equal("1", response.Headers.GetValues("x-stamped").Single());
    }
}
