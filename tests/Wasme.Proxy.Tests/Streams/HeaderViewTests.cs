using Microsoft.AspNetCore.Http;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Streams;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.ProxyWasm;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Streams;

/// <summary>
/// Filters read the server's request and the upstream's response in place (Envoy's live header maps): Envoy's view of
/// them, no copy unless a filter replaces, removes or lists headers, and additions appended rather than everything
/// rewritten.
/// </summary>
public sealed class HeaderViewTests
{
    [Fact]
    public void The_request_reads_as_envoy_shows_it_pseudo_headers_first_lower_case_one_entry_per_value()
    {
        var request = Request();

        var listed = new HeaderMap(new RequestHeaderSource(request)).ToList();

        Assert.Equal(
            [
                new(":authority", "bookinfo.local:9080"), new(":path", "/product/page?id=1"), new(":method", "POST"), new(":scheme", "http"),
                new("user-agent", "curl/8"), new("x-multi", "a"), new("x-multi", "b"), new("x-empty", string.Empty),
            ],
            listed);
    }

    [Fact]
    public void Look_ups_by_the_guests_bytes_find_pseudo_headers_common_and_rare_names_and_never_host()
    {
        var source = new RequestHeaderSource(Request());

        Assert.True(source.TryGetValue(":PATH"u8, out var path));
        Assert.Equal("/product/page?id=1", path);
        Assert.True(source.TryGetValue("User-Agent"u8, out var agent));
        Assert.Equal("curl/8", agent);
        Assert.True(source.TryGetValue("x-multi"u8, out var multi));
        Assert.Equal("a", multi);
        Assert.False(source.TryGetValue("host"u8, out _));
        Assert.False(source.TryGetValue(":status"u8, out _));
        // Names count in O(1): the repeated x-multi counts once, as Envoy counts a header it joins.
        Assert.Equal(7, source.Count);
    }

    [Fact]
    public void Added_request_headers_are_appended_and_every_other_header_is_left_as_the_client_sent_it()
    {
        var request = Request();
        var map = HeaderCodec.ReadRequest(request);
        map.Add("x-added", "1");

        HeaderCodec.ApplyRequest(map, request);

        Assert.True(map.IsView);
        Assert.Equal("a,b", request.Headers["X-Multi"].ToString());
        Assert.Equal("1", request.Headers["x-added"].ToString());
        Assert.Equal("bookinfo.local:9080", request.Host.Value);
        Assert.Equal(5, request.Headers.Count);
    }

    [Fact]
    public void A_pseudo_header_added_to_a_view_is_translated_and_no_other_header_is_lost()
    {
        var request = Request();
        var map = HeaderCodec.ReadRequest(request);
        map.Add(":path", "/other");

        HeaderCodec.ApplyRequest(map, request);

        Assert.Equal("/other", request.Path.Value);
        Assert.Equal("a,b", request.Headers["x-multi"].ToString());
        Assert.Equal("curl/8", request.Headers.UserAgent.ToString());
    }

    [Fact]
    public void A_replaced_response_header_rewrites_the_response_from_the_copy()
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 404;
        context.Response.Headers["Content-Type"] = "text/html";
        context.Response.Headers.Append("Set-Cookie", "a=1");
        context.Response.Headers.Append("Set-Cookie", "b=2");
        var map = HeaderCodec.ReadResponse(context.Response);
        // Names: the two Set-Cookie values count once while the map is a view.
        Assert.Equal(3, map.Count);
        Assert.True(map.TryGetValue(":status", out var status));
        Assert.Equal("404", status);

        map.Set("content-type", "text/plain");
        map.Set(":status", "200");
        HeaderCodec.ApplyResponse(map, context.Response);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("text/plain", context.Response.ContentType);
        Assert.Equal(2, context.Response.Headers.SetCookie.Count);
        Assert.Equal("a=1,b=2", context.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public async Task Through_the_proxy_a_reading_and_adding_filter_leaves_the_clients_headers_intact()
    {
        await using var upstream = await TestUpstream.StartAsync();
        string? seenAgent = null;
        var views = new List<bool>();
        var filter = new DelegateFilter("add")
        {
            RequestHeaders = (s, _) =>
            {
                s.RequestHeaders.TryGetValue("user-agent", out seenAgent);
                s.RequestHeaders.Add("x-added", "request");
                views.Add(s.RequestHeaders.IsView);
                return FilterStatus.Continue;
            },
            ResponseHeaders = (s, _) =>
            {
                s.ResponseHeaders.Add("x-added", "response");
                views.Add(s.ResponseHeaders.IsView);
                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [filter]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/p?q=1");
        request.Headers.TryAddWithoutValidation("User-Agent", "probe/1");
        request.Headers.TryAddWithoutValidation("X-Multi", ["a", "b"]);
        using var response = await proxy.Client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal("probe/1", seenAgent);
        Assert.Equal([true, true], views);
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("/p?q=1", received.PathAndQuery);
        Assert.Equal("request", received.Headers["x-added"]);
        Assert.Equal("a, b", received.Headers["x-multi"]);
        Assert.Equal("probe/1", received.Headers["user-agent"]);
        Assert.Equal(["response"], response.Headers.GetValues("x-added"));
        Assert.Equal(["yes"], response.Headers.GetValues("x-upstream"));
    }

    private static HttpRequest Request()
    {
        var request = new DefaultHttpContext().Request;
        request.Method = "POST";
        request.Scheme = "http";
        request.Host = new HostString("bookinfo.local:9080");
        request.Path = "/product/page";
        request.QueryString = new QueryString("?id=1");
        request.Headers.UserAgent = "curl/8";
        request.Headers.Append("X-Multi", "a");
        request.Headers.Append("X-Multi", "b");
        request.Headers["X-Empty"] = string.Empty;
        request.Headers.Host = "bookinfo.local:9080";
        return request;
    }
}
