using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Streams;

/// <summary>Envoy's connection manager sets <c>x-forwarded-proto</c> when the client did not, before the filters run.</summary>
public sealed class ForwardedProtoTests
{
    [Fact]
    public async Task A_plain_http_request_reaches_filters_and_upstream_with_x_forwarded_proto_http()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seen = new List<string>();
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { seen.AddRange(s.RequestHeaders.GetValues("x-forwarded-proto")); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(["http"], seen);
        Assert.Equal("http", upstream.Received.Single().Headers["x-forwarded-proto"]);
    }

    [Fact]
    public async Task An_x_forwarded_proto_the_client_sent_is_kept()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("x-forwarded-proto", "https");

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal("https", upstream.Received.Single().Headers["x-forwarded-proto"]);
    }
}
