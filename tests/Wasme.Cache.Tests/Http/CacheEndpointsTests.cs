using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Cache.Http;
using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests.Http;

public sealed class CacheEndpointsTests : IAsyncLifetime
{
    private readonly FakeModuleSource _source = new();
    private readonly byte[] _module = TestModules.Create(100_000, seed: 42);
    private readonly CacheHarness _harness;
    private readonly ModuleDigest _digest;
    private CacheHttpServer _server = null!;
    private HttpClient _client = null!;

    public CacheEndpointsTests()
    {
        _digest = _source.Add(_module);
        _harness = new CacheHarness(_source, new CacheOptions { Listen = new Uri("http://127.0.0.1:0") });
    }

    public async Task InitializeAsync()
    {
        await _harness.Directory.ScanAsync(CancellationToken.None);
        _harness.Services.MarkReady();
        _server = await CacheHttpServer.StartAsync(_harness.Services, NullLoggerFactory.Instance, CancellationToken.None);
        _client = new HttpClient { BaseAddress = _server.Address };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _harness.Dispose();
    }

    private async Task HoldModuleAsync()
    {
        _harness.Cache.SetWanted([CacheHarness.Want(_digest)]);
        await _harness.Cache.SyncAsync();
    }

    [Fact]
    public async Task A_module_file_replaced_behind_the_cache_is_a_miss_not_its_bytes()
    {
        await HoldModuleAsync();
        // Other bytes of the same length, moved over the module's file before any proxy asked for it.
        var path = Path.Combine(_harness.Temp.Path, _digest.Hex);
        var other = Path.Combine(_harness.Temp.Path, "replacement");
        await File.WriteAllBytesAsync(other, TestModules.Create(_module.Length, seed: 43));
        File.Move(other, path, overwrite: true);

        using var response = await _client.GetAsync($"/sha256/{_digest.Hex}");

        // Was 200 with the replacement's bytes, which the proxy's sha256 check then refused.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(_harness.Directory.Contains(_digest));
    }

    [Fact]
    public async Task A_module_file_truncated_while_held_ends_its_response_early_and_the_daemon_keeps_serving()
    {
        await HoldModuleAsync();
        using (var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/sha256/{_digest.Hex}")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        // Truncated in place by hand (root ignores the 0444 mode) after the first request opened it.
        var path = Path.Combine(_harness.Temp.Path, _digest.Hex);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(1000);
        }

        // A request Kestrel answers (not a plain hit). It read the module from a memory mapping of the file, and reading past
        // the new end of a mapped file is SIGBUS: the whole daemon died, without a log line.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sha256/{_digest.Hex}");
        request.Headers.ConnectionClose = true;
        var error = await Record.ExceptionAsync(async () =>
        {
            using var response = await _client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
        });

        Assert.True(error is HttpRequestException or IOException, $"expected the response to end early, got {error?.ToString() ?? "a complete response"}");
        using var health = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Serving_modules_logs_no_line_per_request_even_at_trace()
    {
        await HoldModuleAsync();
        var recorder = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(recorder));
        await using var server = await CacheHttpServer.StartAsync(_harness.Services, loggerFactory, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = server.Address };
        var before = recorder.Count;

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync($"/sha256/{_digest.Hex}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The hit path is the hot path, and a node's logs should say what changed, not every fetch by a proxy.
        Assert.Equal(before, recorder.Count);
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_without_a_hosting_stack_trace_in_the_log()
    {
        using var held = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var port = ((IPEndPoint)held.LocalEndpoint).Port;
        using var harness = new CacheHarness(_source, new CacheOptions { Listen = new Uri($"http://127.0.0.1:{port}") });
        var recorder = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(recorder));

        await Assert.ThrowsAsync<IOException>(() => CacheHttpServer.StartAsync(harness.Services, loggerFactory, CancellationToken.None));

        // The daemon reports the failure in one line with the fix (PortInUseTests); the log stays quiet about it.
        Assert.Equal(0, recorder.Count);
    }

    [Fact]
    public async Task Get_serves_a_held_module_with_etag_length_and_wasm_type()
    {
        await HoldModuleAsync();

        using var response = await _client.GetAsync($"/sha256/{_digest.Hex}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/wasm", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(_module.Length, response.Content.Headers.ContentLength);
        Assert.Equal($"\"sha256:{_digest.Hex}\"", response.Headers.ETag?.Tag);
        Assert.Equal(_module, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _harness.Metrics.Hits);
    }

    [Fact]
    public async Task Head_answers_headers_without_a_body()
    {
        await HoldModuleAsync();

        using var request = new HttpRequestMessage(HttpMethod.Head, $"/sha256/{_digest.Hex}");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_module.Length, response.Content.Headers.ContentLength);
        Assert.Equal($"\"sha256:{_digest.Hex}\"", response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Matching_if_none_match_gets_not_modified()
    {
        await HoldModuleAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sha256/{_digest.Hex}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"sha256:{_digest.Hex}\""));
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_module_is_404_and_triggers_no_pull()
    {
        using var response = await _client.GetAsync($"/sha256/{_digest.Hex}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not held on this node", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _source.Fetches);
        Assert.Empty(_harness.Temp.Files());
        Assert.Equal(1, _harness.Metrics.Misses);
    }

    [Fact]
    public async Task A_module_file_removed_outside_the_cache_is_404_before_the_next_pass_notices()
    {
        await HoldModuleAsync();
        File.Delete(Path.Combine(_harness.Directory.Path, _digest.Hex));

        // Until the pass drops it (up to a minute) it is still indexed: streaming the missing file answered 500, on the
        // sendfile path too (which hands what it cannot open to Kestrel).
        using var response = await _client.GetAsync($"/sha256/{_digest.Hex}");
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/sha256/{_digest.Hex}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not held on this node", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(2, _harness.Metrics.Misses);
        Assert.Equal(0, _harness.Metrics.Hits);
    }

    [Theory]
    [InlineData("/sha256/44BF95B368E78FAFB663020B43CF099B23FC6032814653F2F47E4D20643E7267")]
    [InlineData("/sha256/sha256:44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267")]
    [InlineData("/sha256/44bf95b368e78faf")]
    [InlineData("/sha256/..%2F..%2Fetc%2Fpasswd")]
    public async Task Malformed_digest_is_400_with_the_expected_form(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("64 lowercase hex", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _source.Fetches);
    }

    [Fact]
    public async Task Any_other_path_is_404_and_not_treated_as_an_image_reference()
    {
        using var response = await _client.GetAsync("/webassemblyhub.io/ceposta/demo-add-header:v0.2");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, _source.Fetches);
    }

    [Fact]
    public async Task Sixty_four_concurrent_requests_during_a_cold_fetch_all_get_the_module_from_one_fetch()
    {
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Cache.SetWanted([CacheHarness.Want(_digest)]);
        var sync = _harness.Cache.SyncAsync();
        Assert.NotNull(_harness.Fetcher.InFlight(_digest));

        var requests = Enumerable.Range(0, 64).Select(_ => _client.GetByteArrayAsync($"/sha256/{_digest.Hex}")).ToArray();
        // Every request is in the server before the registry answers.
        while (Volatile.Read(ref _harness.Services.WaitingRequestCount) < 64)
        {
            await Task.Yield();
        }

        _source.Gate.SetResult();
        var bodies = await Task.WhenAll(requests);
        await sync;

        Assert.All(bodies, body => Assert.Equal(_module, body));
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task Health_readiness_and_metrics()
    {
        await HoldModuleAsync();
        await _client.GetAsync($"/sha256/{_digest.Hex}");
        await _client.GetAsync($"/sha256/{new string('0', 64)}");

        Assert.Equal("ok\n", await _client.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await _client.GetStringAsync("/readyz"));
        var metrics = await _client.GetStringAsync("/metrics");

        Assert.Contains("wasme_cache_entries 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains($"wasme_cache_bytes {_module.Length}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("wasme_cache_hits_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("wasme_cache_misses_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("wasme_cache_fetches_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE wasme_cache_fetch_failures_total counter", metrics, StringComparison.Ordinal);
    }
}

internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Interlocked.Increment(ref provider._count);
    }
}
