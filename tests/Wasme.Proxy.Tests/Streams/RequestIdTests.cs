using System.Text.RegularExpressions;
using Wasme.Proxy.Streams;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;

namespace Wasme.Proxy.Tests.Streams;

/// <summary>Envoy gives every request an <c>x-request-id</c>; so does <c>wasme run</c>.</summary>
public sealed partial class RequestIdTests
{
    [Fact]
    public async Task Each_request_reaches_the_upstream_with_its_own_random_uuid()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        // More ids than one refill of the generator's buffer, so the refill is exercised too.
        const int Requests = 300;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            response.EnsureSuccessStatusCode();
        }

        var ids = upstream.Received.Select(r => r.Headers["x-request-id"]).ToList();
        Assert.Equal(Requests, ids.Count);
        Assert.All(ids, id => Assert.Matches(UuidV4(), id));
        Assert.Equal(Requests, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_request_id_sent_by_the_client_is_kept()
    {
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, []);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("x-request-id", "client-chosen-id");
        using var response = await proxy.Client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("client-chosen-id", received.Headers["x-request-id"]);
    }

    [Fact]
    public void Ids_drawn_on_one_thread_stay_unique_across_refills_of_the_random_buffer()
    {
        var ids = Enumerable.Range(0, 5 * 256).Select(_ => RequestIds.Next()).ToList();

        Assert.All(ids, id => Assert.Matches(UuidV4(), id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    private static partial Regex UuidV4();
}
