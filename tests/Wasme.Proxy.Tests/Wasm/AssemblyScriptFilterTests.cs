using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;
using Wasme.ProxyWasm;
using Wasme.Testing.Filters;

namespace Wasme.Proxy.Tests.Wasm;

/// <summary>
/// Real filters built with the real AssemblyScript SDK, run by the real Proxy-Wasm host inside the proxy, each
/// behaviour asserted from the client side over HTTP (issue 3, acceptance 1).
/// </summary>
public sealed class AssemblyScriptFilterTests(AssemblyScriptFilters filters) : IClassFixture<AssemblyScriptFilters>
{
    private static readonly string[] RootIds = ["deny", "body_rewrite", "http_call", "metric", "tick", "shared_writer", "shared_reader"];

    private async Task<byte[]> BehavioursAsync()
    {
        var source = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Filters", "behaviours.ts"));
        return (await filters.BuildAsync(source, RootIds)).Module;
    }

    private static PluginConfiguration Plugin(string rootId, string configuration = "on") => new()
    {
        Name = rootId,
        RootId = rootId,
        Configuration = Encoding.UTF8.GetBytes(configuration),
        Workers = 2,
    };

    [Fact]
    public async Task The_template_filter_adds_the_response_header_from_its_configuration()
    {
        var module = (await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource)).Module;
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin(AssemblyScriptFilters.DefaultRootId, "tomorrow"))]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("tomorrow", response.Headers.GetValues("hello").Single());
        Assert.Equal("yes", response.Headers.GetValues("x-upstream").Single());
    }

    // One VM per worker serves every stream: the SDK's reference counting and its configuration read
    // (size passed as the size pointer) must leave the VM healthy request after request, for an empty
    // configuration and for one longer than the module's unused low memory.
    [Theory]
    [InlineData("tomorrow", "tomorrow")]
    [InlineData("", "world")]
    [InlineData("long", "long")]
    public async Task The_template_filter_keeps_adding_its_header_over_many_sequential_and_concurrent_requests(string configuration, string expected)
    {
        if (configuration == "long")
        {
            configuration = expected = new string('x', 1500);
        }

        var module = (await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource)).Module;
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin(AssemblyScriptFilters.DefaultRootId, configuration))]);

        var values = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            values.Add(await HelloAsync(proxy.Client));
        }

        values.AddRange(await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => HelloAsync(proxy.Client))));

        Assert.Equal(160, values.Count);
        Assert.All(values, value => Assert.Equal(expected, value));

        static async Task<string> HelloAsync(HttpClient client)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("hello", out var hello) ? string.Join(",", hello) : "(missing)";
        }
    }

    [Fact]
    public async Task A_filter_denies_with_a_local_403_on_a_request_header()
    {
        var module = await BehavioursAsync();
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("deny"))]);

        using var denied = new HttpRequestMessage(HttpMethod.Get, "/secret");
        denied.Headers.Add("x-deny", "1");
        using var deniedResponse = await proxy.Client.SendAsync(denied);
        using var allowedResponse = await proxy.Client.GetAsync("/public");

        Assert.Equal(HttpStatusCode.Forbidden, deniedResponse.StatusCode);
        Assert.Equal("forbidden by filter\n", await deniedResponse.Content.ReadAsStringAsync());
        Assert.Equal("wasm", deniedResponse.Headers.GetValues("x-denied-by").Single());
        Assert.Equal(HttpStatusCode.OK, allowedResponse.StatusCode);
        Assert.Equal(["/public"], upstream.Received.Select(r => r.PathAndQuery));
    }

    // 56 KB comes back whole with an exact Content-Length (not chunked); 140 KB is streamed through the filter chunk by chunk.
    [Theory]
    [InlineData(4000, true)]
    [InlineData(10000, false)]
    public async Task A_filter_rewrites_the_request_body_and_the_response_body(int repeats, bool exactLength)
    {
        var module = await BehavioursAsync();
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("body_rewrite"))]);
        var body = string.Concat(Enumerable.Repeat("make me loud. ", repeats));

        using var response = await proxy.Client.PostAsync("/", new StringContent(body));

        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal(body.ToUpperInvariant(), Encoding.UTF8.GetString(received.Body));
        var expected = "[" + body.ToUpperInvariant() + "]";
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        Assert.Equal(!exactLength, response.Headers.TransferEncodingChunked ?? false);
    }

    [Fact]
    public async Task A_filter_calls_another_upstream_and_forwards_its_answer()
    {
        var module = await BehavioursAsync();
        await using var auth = await TestUpstream.StartAsync(context => context.Response.WriteAsync("token-from-auth"));
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("http_call"))],
            new Dictionary<string, Uri> { ["auth"] = auth.Url });

        using var response = await proxy.Client.GetAsync("/api");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(auth.Received.TryDequeue(out var call));
        Assert.Equal("/token", call.PathAndQuery);
        Assert.True(upstream.Received.TryDequeue(out var forwarded));
        Assert.Equal("token-from-auth", forwarded.Headers["x-token"]);
    }

    [Fact]
    public async Task A_failed_http_call_is_delivered_to_the_filter()
    {
        var module = await BehavioursAsync();
        await using var upstream = await TestUpstream.StartAsync();
        // A cluster that refuses connections: the filter sees a call with no headers and answers 503 itself.
        using var closedPort = new RefusingPort();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("http_call"))],
            new Dictionary<string, Uri> { ["auth"] = closedPort.Url });

        using var response = await proxy.Client.GetAsync("/api");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("auth call failed\n", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_filter_metric_counts_requests_and_shows_on_the_admin_endpoint()
    {
        var module = await BehavioursAsync();
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("metric"))]);

        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var prometheus = await proxy.Client.GetStringAsync(new Uri(proxy.Proxy.AdminUrl, "/stats"));
        var json = JsonDocument.Parse(await proxy.Client.GetStringAsync(new Uri(proxy.Proxy.AdminUrl, "/stats?format=json")));

        Assert.Contains("# TYPE requests_seen counter\nrequests_seen 3\n", prometheus, StringComparison.Ordinal);
        Assert.Contains("wasme_proxy_requests_total 3\n", prometheus, StringComparison.Ordinal);
        var metric = json.RootElement.GetProperty("filters").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "requests_seen");
        Assert.Equal(3, metric.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task A_filter_acts_on_its_tick()
    {
        var module = await BehavioursAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("tick") with { Workers = 1 })], timeProvider: time);

        using var before = await proxy.Client.GetAsync("/");
        time.Advance(TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromMilliseconds(100));
        using var after = await proxy.Client.GetAsync("/");

        Assert.Equal("0", before.Headers.GetValues("x-ticks").Single());
        Assert.Equal("3", after.Headers.GetValues("x-ticks").Single());
    }

    [Fact]
    public async Task Two_plugins_share_data()
    {
        var module = await BehavioursAsync();
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await WasmProxy.StartAsync(upstream.Url, [(module, Plugin("shared_writer")), (module, Plugin("shared_reader"))]);

        using var first = await proxy.Client.GetAsync("/first?x=1");
        using var second = await proxy.Client.GetAsync("/second");

        Assert.Equal("/first?x=1", first.Headers.GetValues("x-shared").Single());
        Assert.Equal("/second", second.Headers.GetValues("x-shared").Single());
    }
}
