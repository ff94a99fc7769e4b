using Microsoft.AspNetCore.Http.Features;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// What Envoy's HTTP/1 codec and connection manager take and refuse by default (no protocol options set), as a client
/// sees it: the same request gets the same answer from <c>wasme run</c>.
/// </summary>
public sealed class EnvoyCodecDefaultsTests
{
    [Fact]
    public async Task An_http_1_0_request_is_answered_426_before_the_filters_and_the_upstream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filterRan = false;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan = true; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync("GET / HTTP/1.0\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 426 Upgrade Required", reply, StringComparison.Ordinal);
        Assert.Empty(upstream.Received);
        Assert.False(filterRan, "a filter saw an HTTP/1.0 request Envoy refuses without accept_http_10");
    }

    [Fact]
    public async Task With_accept_http_10_an_http_1_0_request_is_forwarded_and_one_without_host_is_400()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [], o => o with { AcceptHttp10 = true });

        var forwarded = await proxy.SendRawAsync("GET /old HTTP/1.0\r\nHost: a\r\n\r\n");
        var hostless = await proxy.SendRawAsync("GET /old HTTP/1.0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", forwarded, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", hostless, StringComparison.Ordinal);
        Assert.Equal("/old", upstream.Received.Single().PathAndQuery);
    }

    [Fact]
    public async Task Request_headers_up_to_envoys_60_KiB_are_forwarded_and_larger_ones_answered_431()
    {
        var filterSawBig = 0;
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) => { filterSawBig += s.RequestHeaders.GetValues("x-big").Count; return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(null, [look]);
        // The echo upstream answers 200 only for what it received whole; its own bounds are the proxy's.
        var jwt = new string('j', 40 * 1024);
        var longPath = "/" + new string('p', 20 * 1024);

        var big = await proxy.SendRawAsync($"GET / HTTP/1.1\r\nHost: a\r\nx-big: {jwt}\r\n\r\n");
        var longUri = await proxy.SendRawAsync($"GET {longPath} HTTP/1.1\r\nHost: a\r\n\r\n");
        var tooBig = await proxy.SendRawAsync($"GET / HTTP/1.1\r\nHost: a\r\nx-big: {new string('j', 61 * 1024)}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", big, StringComparison.Ordinal);
        Assert.Equal(1, filterSawBig);
        Assert.StartsWith("HTTP/1.1 200", longUri, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431", tooBig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_request_target_counts_within_the_60_KiB_and_past_it_the_answer_is_431_as_envoy_answers()
    {
        var filterRan = 0;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan++; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(null, [look]);

        // Each fits alone; Envoy bounds the target and the headers together.
        var together = await proxy.SendRawAsync($"GET /{new string('p', 50 * 1024)} HTTP/1.1\r\nHost: a\r\nx-big: {new string('j', 11 * 1024)}\r\n\r\n");
        var longTarget = await proxy.SendRawAsync($"GET /{new string('p', 61 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431", together, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431", longTarget, StringComparison.Ordinal);
        Assert.Equal(0, filterRan);
    }

    [Fact]
    public async Task An_absolute_form_target_gives_its_authority_and_its_path_still_encoded_as_envoy_takes_them()
    {
        string? host = null;
        string? target = null;
        await using var upstream = await TestUpstream.StartAsync(context =>
        {
            host = context.Request.Headers.Host;
            target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            return Task.CompletedTask;
        });
        string? authority = null;
        string? path = null;
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) =>
            {
                authority = s.RequestHeaders.GetValues(":authority")[0];
                path = s.RequestHeaders.GetValues(":path")[0];
                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);

        var reply = await proxy.SendRawAsync("GET http://other.example:8080/files/a%2Fb?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal("other.example:8080", authority);
        Assert.Equal("/files/a%2Fb?q=1", path);
        Assert.Equal("other.example:8080", host);
        Assert.Equal("/files/a%2Fb?q=1", target);
    }

    [Fact]
    public async Task Only_escapes_of_unreserved_characters_are_decoded_in_the_path_as_istios_default_normalization_does()
    {
        // %41 and %7e are unreserved (decoded); %3B, %21, %20 and %2F are not (kept as sent); %2e%2E is a dot segment.
        var (reply, path, target) = await PathSeenAsync("/a%41/%7euser/admin%3Bx/d%2Fe/%2e%2E/f%20g%21?k=%41");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal("/aA/~user/admin%3Bx/f%20g%21?k=%41", path);
        Assert.Equal("/aA/~user/admin%3Bx/f%20g%21?k=%41", target);
    }

    [Theory]
    [InlineData("/a#frag", "/a")]
    [InlineData("/a?k=1#frag", "/a?k=1")]
    [InlineData("/a\\b/..\\c", "/a/c")]
    [InlineData("/a/b/../../../c", "/c")]
    [InlineData("/%2e%2E/a/.%2e", "/")]
    [InlineData("/a/..b/c.", "/a/..b/c.")]
    [InlineData("/%%300", "/%2500")]
    [InlineData("/a%2f%5C%2F", "/a%2f%5C%2F")]
    public async Task A_path_is_normalized_as_istio_has_envoy_normalize_it(string sent, string expected)
    {
        var (reply, path, target) = await PathSeenAsync(sent);

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal(expected, path);
        Assert.Equal(expected, target);
    }

    [Fact]
    public async Task A_hundred_request_headers_are_forwarded_and_a_hundred_and_one_answered_431()
    {
        var filterRan = 0;
        var look = new DelegateFilter("look") { RequestHeaders = (_, _) => { filterRan++; return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(null, [look]);
        // Host and Connection (added by SendRawAsync) count too.
        string Headers(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"x-h{i}: v\r\n"));

        var hundred = await proxy.SendRawAsync($"GET / HTTP/1.1\r\nHost: a\r\n{Headers(98)}\r\n");
        var hundredAndOne = await proxy.SendRawAsync($"GET / HTTP/1.1\r\nHost: a\r\n{Headers(99)}\r\n");

        Assert.StartsWith("HTTP/1.1 200", hundred, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431", hundredAndOne, StringComparison.Ordinal);
        Assert.Equal(1, filterRan);
    }

    [Fact]
    public async Task A_percent_encoded_percent_in_the_path_reaches_the_filters_and_the_upstream_still_encoded()
    {
        // Decoded once, /files/a%252Fb is the name "a%2Fb"; forwarded as /files/a%2Fb it names a file in directory a.
        var (reply, path, target) = await PathSeenAsync("/files/./a%252Fb/%2541?q=%2525");

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal("/files/a%252Fb/%2541?q=%2525", path);
        Assert.Equal("/files/a%252Fb/%2541?q=%2525", target);
    }

    [Theory]
    [InlineData("/api/a%3Bb/%41/c%2Fd?x=%41", "/api/a%3Bb/%41/c%2Fd?x=%41")]
    [InlineData("/v2/items;v=1/%7e", "/v2/items;v=1/%7e")]
    [InlineData("/a b/\u00e9", "/a%20b/%C3%A9")]
    public async Task A_path_a_filter_sets_reaches_the_upstream_as_the_filter_wrote_it(string written, string expected)
    {
        // Envoy sends a filter's :path as written; decoding %3B to ';' or %41 to 'A' would send the upstream another path
        // than the one the filter chose (and than the one a later filter's check saw). Characters a request line may not
        // carry are escaped.
        var (reply, path, target) = await PathSeenAsync("/original", written);

        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Equal("/original", path);
        Assert.Equal(expected, target);
    }

    /// <summary>
    /// Sends <paramref name="sent"/> as the request target: the reply, the <c>:path</c> a filter saw and the target the
    /// upstream got (after the filter set <c>:path</c> to <paramref name="rewrite"/>, when given).
    /// </summary>
    private static async Task<(string Reply, string? Path, string? Target)> PathSeenAsync(string sent, string? rewrite = null)
    {
        string? target = null;
        await using var upstream = await TestUpstream.StartAsync(context =>
        {
            target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            return Task.CompletedTask;
        });
        string? path = null;
        var look = new DelegateFilter("look")
        {
            RequestHeaders = (s, _) =>
            {
                path = s.RequestHeaders.GetValues(":path")[0];
                if (rewrite is not null)
                {
                    s.RequestHeaders.Set(":path", rewrite);
                }

                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [look]);
        var reply = await proxy.SendRawAsync($"GET {sent} HTTP/1.1\r\nHost: a\r\n\r\n");
        return (reply, path, target);
    }
}
