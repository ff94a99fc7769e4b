using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Wasme.Proxy.Filters;
using Wasme.Proxy.Tests.Infrastructure;
using Wasme.Testing.Http;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Chain;

/// <summary>The chain's plumbing, driven over real HTTP through a real upstream, with C# filters.</summary>
public sealed class FilterChainTests
{
    [Fact]
    public async Task Request_filters_run_in_chain_order_and_response_filters_in_reverse()
    {
        await using var upstream = await TestUpstream.StartAsync();
        DelegateFilter Tag(string name) => new(name)
        {
            RequestHeaders = (s, _) => { s.RequestHeaders.Add("x-order", name); return FilterStatus.Continue; },
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-order", name); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [Tag("a"), Tag("b")]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("a, b", received.Headers["x-order"]);
        Assert.Equal(["b", "a"], response.Headers.GetValues("x-order"));
    }

    [Fact]
    public async Task Filters_can_rewrite_the_path_and_the_status()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filter = new DelegateFilter("rewrite")
        {
            RequestHeaders = (s, _) => { s.RequestHeaders.Set(":path", "/rewritten?q=1"); return FilterStatus.Continue; },
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Set(":status", "202"); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [filter]);

        using var response = await proxy.Client.GetAsync("/original");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("/rewritten?q=1", received.PathAndQuery);
    }

    [Fact]
    public async Task Header_values_beyond_ascii_reach_filters_as_text_and_leave_as_utf8()
    {
        await using var upstream = await TestUpstream.StartAsync();
        string? seenByFilter = null;
        var greet = new DelegateFilter("greet")
        {
            RequestHeaders = (s, _) => { seenByFilter = s.RequestHeaders.GetValues("x-name").Single(); return FilterStatus.Continue; },
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-greeting", "grüße, " + seenByFilter); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [greet]);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
            ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        });

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.Client.BaseAddress!, "/"));
        request.Headers.Add("x-name", "café");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("café", seenByFilter);
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("café", received.Headers["x-name"]);
        Assert.Equal("grüße, café", response.Headers.GetValues("x-greeting").Single());
    }

    [Fact]
    public async Task A_local_reply_answers_without_reaching_the_upstream_and_passes_response_filters()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var deny = new DelegateFilter("deny")
        {
            RequestHeaders = (s, _) =>
            {
                if (s.RequestHeaders.ContainsKey("x-deny"))
                {
                    s.SendLocalResponse(403, "denied by filter", "test_denied");
                }

                return FilterStatus.Continue;
            },
        };
        var stamp = new DelegateFilter("stamp")
        {
            ResponseHeaders = (s, _) => { s.ResponseHeaders.Add("x-stamped", "1"); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [stamp, deny]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("x-deny", "please");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("denied by filter", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", response.Headers.GetValues("x-stamped").Single());
        Assert.Empty(upstream.Received);
        Assert.Equal(1, proxy.Server.Metrics.LocalReplies);
    }

    [Fact]
    public async Task A_stopped_request_waits_until_the_filter_continues_it()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var released = new TaskCompletionSource();
        var pause = new DelegateFilter("pause")
        {
            RequestHeaders = (s, eos) =>
            {
                // Resume from another thread once the test allows it, as an http_call response would.
                _ = released.Task.ContinueWith(_ =>
                {
                    s.RequestHeaders.Set("x-after-pause", "yes");
                    s.ContinueStream(StreamType.HttpRequest);
                }, TaskScheduler.Default);
                return FilterStatus.StopIteration;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [pause]);

        var pending = proxy.Client.GetAsync("/");
        Assert.False(pending.IsCompleted);
        Assert.Empty(upstream.Received);
        released.SetResult();
        using var response = await pending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal("yes", received.Headers["x-after-pause"]);
    }

    [Fact]
    public async Task A_filter_that_buffers_the_request_body_can_rewrite_it()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var upper = new DelegateFilter("upper")
        {
            RequestBody = (s, length, eos) =>
            {
                if (!eos)
                {
                    return FilterStatus.StopIteration;
                }

                s.RequestBody.Replace(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(s.RequestBody.Span).ToUpperInvariant()));
                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [upper]);
        var body = string.Concat(Enumerable.Repeat("hello body ", 5000));

        using var response = await proxy.Client.PostAsync("/", new StringContent(body));

        Assert.Equal(body.ToUpperInvariant(), await response.Content.ReadAsStringAsync());
        Assert.True(upstream.Received.TryDequeue(out var received));
        Assert.Equal(body.ToUpperInvariant(), Encoding.UTF8.GetString(received.Body));
    }

    [Fact]
    public async Task A_filter_that_buffers_the_response_body_can_rewrite_it()
    {
        await using var upstream = await TestUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/plain";
            for (var i = 0; i < 50; i++)
            {
                await context.Response.WriteAsync("chunk;");
                await context.Response.Body.FlushAsync();
            }
        });
        var replace = new DelegateFilter("replace")
        {
            ResponseBody = (s, length, eos) =>
            {
                if (!eos)
                {
                    return FilterStatus.StopIteration;
                }

                s.ResponseBody.Replace(Encoding.UTF8.GetBytes($"{length} bytes seen"));
                return FilterStatus.Continue;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [replace]);

        var text = await proxy.Client.GetStringAsync("/");

        Assert.Equal($"{50 * "chunk;".Length} bytes seen", text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rewritten_response_body_keeps_the_upstream_content_headers(bool upstreamSendsLength)
    {
        await using var upstream = await TestUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "application/x-test";
            context.Response.Headers.ContentLanguage = "fr";
            if (upstreamSendsLength)
            {
                context.Response.ContentLength = "original".Length;
            }

            await context.Response.WriteAsync("original");
        });
        var replace = new DelegateFilter("replace")
        {
            ResponseBody = (s, _, eos) =>
            {
                if (eos)
                {
                    s.ResponseBody.Replace("replaced body"u8);
                }

                return eos ? FilterStatus.Continue : FilterStatus.StopIteration;
            },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [replace]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal("replaced body", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/x-test", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["fr"], response.Content.Headers.ContentLanguage);
        if (upstreamSendsLength)
        {
            Assert.Equal("replaced body".Length, response.Content.Headers.ContentLength);
        }
        else
        {
            Assert.True(response.Headers.TransferEncodingChunked);
        }
    }

    [Fact]
    public async Task A_request_body_over_the_buffer_limit_gets_413()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var hold = new DelegateFilter("hold") { RequestBody = (_, _, eos) => eos ? FilterStatus.Continue : FilterStatus.StopIteration };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [hold], o => o with { BodyBufferLimit = 64 * 1024 });

        using var response = await proxy.Client.PostAsync("/", new ByteArrayContent(new byte[256 * 1024]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.DoesNotContain(upstream.Received, r => r.Body.Length == 256 * 1024);
    }

    [Fact]
    public async Task A_response_body_over_the_buffer_limit_gets_500_before_anything_is_sent()
    {
        await using var upstream = await TestUpstream.StartAsync(context => context.Response.Body.WriteAsync(new byte[256 * 1024]).AsTask());
        var hold = new DelegateFilter("hold") { ResponseBody = (_, _, eos) => eos ? FilterStatus.Continue : FilterStatus.StopIteration };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [hold], o => o with { BodyBufferLimit = 64 * 1024 });

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task Unbuffered_bodies_stream_through_unchanged()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var seen = 0;
        var count = new DelegateFilter("count") { RequestBody = (_, length, _) => { Interlocked.Add(ref seen, length); return FilterStatus.Continue; } };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [count], o => o with { BodyBufferLimit = 64 * 1024 });
        var payload = new byte[512 * 1024];
        Random.Shared.NextBytes(payload);

        using var response = await proxy.Client.PostAsync("/", new ByteArrayContent(payload));

        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(payload.Length, seen);
    }

    [Fact]
    public async Task A_fault_inside_the_data_plane_is_logged_and_answered_500()
    {
        await using var upstream = await TestUpstream.StartAsync();
        // Kestrel refuses a CR in a header value when the reply is written: a fault past the filters' own checks.
        var broken = new DelegateFilter("broken-reply")
        {
            RequestHeaders = (s, _) =>
            {
                var headers = new HeaderMap();
                headers.Add("x-bad", "a\rb");
                s.SendLocalResponse(new LocalResponse(403, "test", ReadOnlyMemory<byte>.Empty, headers));
                return FilterStatus.Continue;
            },
        };
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [broken], loggerFactory: loggerFactory);

        using var response = await proxy.Client.GetAsync("/some/path");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains("GET /some/path failed inside wasme's data plane", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Exception);
    }

    [Fact]
    public async Task A_filter_that_never_continues_a_paused_stream_gets_it_answered_408_after_the_stream_idle_timeout()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = new DelegateFilter("hold-forever")
        {
            RequestHeaders = (_, _) => { paused.TrySetResult(); return FilterStatus.StopIteration; },
        };
        var clock = new FakeTimeProvider();
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [hold], o => o with { StreamIdleTimeout = TimeSpan.FromMinutes(2) }, timeProvider: clock);

        var pending = proxy.Client.GetAsync("/");
        await paused.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Short of the timeout nothing is answered; past it the stream is. The proxy arms its timer just after the
        // filter returns, which may come after any number of steps on a busy machine: step until it fires.
        clock.Advance(TimeSpan.FromSeconds(110));
        var first = await Task.WhenAny(pending, Task.Delay(200));
        Assert.NotSame(pending, first);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await clock.AdvanceUntilAsync(TimeSpan.FromMinutes(2), pending, guard.Token);

        using var response = await pending;

        Assert.Equal(HttpStatusCode.RequestTimeout, response.StatusCode);
        Assert.Equal("stream timeout", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_failing_fail_closed_filter_answers_503()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var broken = new DelegateFilter("broken", FailurePolicy.FailClosed) { RequestHeaders = (_, _) => throw new InvalidOperationException("trap") };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [broken]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(upstream.Received);
        Assert.Contains(proxy.Server.Metrics.FilterFailures, f => f.Key == "broken" && f.Value == 1);
    }

    [Fact]
    public async Task A_failing_fail_open_filter_is_skipped_for_the_rest_of_the_stream()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var responseCalls = 0;
        var broken = new DelegateFilter("broken", FailurePolicy.FailOpen)
        {
            RequestHeaders = (_, _) => throw new InvalidOperationException("trap"),
            ResponseHeaders = (_, _) => { Interlocked.Increment(ref responseCalls); return FilterStatus.Continue; },
        };
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [broken]);

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(upstream.Received);
        Assert.Equal(0, responseCalls);
    }

    [Fact]
    public async Task Every_filter_hears_that_the_stream_is_done()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var filter = new DelegateFilter("done");
        await using var proxy = await RunningProxy.StartAsync(upstream.Url, [filter]);

        using (await proxy.Client.GetAsync("/"))
        {
        }

        using (await proxy.Client.GetAsync("/"))
        {
        }

        Assert.Equal(2, filter.StreamsDone);
    }
}
