using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>With --h2c, HTTP/2 clients without TLS (gRPC) reach an HTTP/2 upstream through the filters, trailers included.</summary>
public sealed class H2cTests
{
    [Fact]
    public async Task A_grpc_style_exchange_goes_through_the_filters_over_h2c_with_its_trailers()
    {
        await using var upstream = await TestUpstream.StartAsync(
            async context =>
            {
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 8, 1 });
                context.Response.AppendTrailer("grpc-status", "0");
            },
            HttpProtocols.Http2);
        var stamp = new DelegateFilter("stamp")
        {
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-stamped", "1"); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [stamp], options => options with { H2c = true });
        using var client = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{proxy.Server.ListenEndpoint}/helloworld.Greeter/SayHello")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("x-stamped")));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 8, 1 }, body);
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal("/helloworld.Greeter/SayHello", upstream.Received.Single().PathAndQuery);
    }

    [Fact]
    public async Task The_echo_upstream_speaks_h2c_too()
    {
        await using var proxy = await RunningProxy.StartAsync(null, [], options => options with { H2c = true });
        using var client = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await client.GetAsync($"http://{proxy.Server.ListenEndpoint}/echo");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
    }
}
