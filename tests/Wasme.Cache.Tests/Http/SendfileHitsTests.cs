using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Cache.Http;
using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests.Http;

/// <summary>Hits go out by sendfile; these drive the daemon over raw connections, as proxies and curl do.</summary>
public sealed class SendfileHitsTests : IAsyncLifetime
{
    private readonly FakeModuleSource _source = new();
    private readonly byte[] _module = TestModules.Create(300_000, seed: 7);
    private readonly CacheHarness _harness;
    private readonly ModuleDigest _digest;
    private CacheHttpServer _server = null!;

    public SendfileHitsTests()
    {
        _digest = _source.Add(_module);
        _harness = new CacheHarness(_source, new CacheOptions { Listen = new Uri("http://127.0.0.1:0") });
    }

    public async Task InitializeAsync()
    {
        await _harness.Directory.ScanAsync(CancellationToken.None);
        _harness.Services.MarkReady();
        _harness.Cache.SetWanted([CacheHarness.Want(_digest)]);
        await _harness.Cache.SyncAsync();
        _server = await CacheHttpServer.StartAsync(_harness.Services, NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _harness.Dispose();
    }

    private string Get(string extraHeaders = "", string method = "GET") =>
        $"{method} /sha256/{_digest.Hex} HTTP/1.1\r\nHost: {_server.Address.Authority}\r\n{extraHeaders}\r\n";

    [Fact]
    public async Task Pipelined_gets_on_one_connection_each_get_the_whole_module_with_its_headers()
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);

        await connection.SendAsync(Get() + Get("User-Agent: envoy\r\nConnection: keep-alive\r\n"));

        for (var i = 0; i < 2; i++)
        {
            var response = await connection.ReadResponseAsync(hasBody: true);
            Assert.Equal(200, response.Status);
            Assert.Equal("application/wasm", response.Header("Content-Type"));
            Assert.Equal($"\"sha256:{_digest.Hex}\"", response.Header("ETag"));
            Assert.Equal("public, max-age=31536000, immutable", response.Header("Cache-Control"));
            Assert.NotNull(response.Header("Date"));
            Assert.Equal(_module, response.Body);
        }

        Assert.Equal(2, _harness.Metrics.Hits);
    }

    [Fact]
    public async Task After_a_hit_other_requests_on_the_connection_are_answered_as_before()
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);

        // A hit, then HEAD, a conditional GET and a plain GET, pipelined: the HEAD is the first request the sendfile
        // path leaves alone, and from there on the connection is Kestrel's.
        await connection.SendAsync(Get() + Get(method: "HEAD") + Get($"If-None-Match: \"sha256:{_digest.Hex}\"\r\n") + Get());

        var hit = await connection.ReadResponseAsync(hasBody: true);
        Assert.Equal(200, hit.Status);
        Assert.Equal(_module, hit.Body);
        var head = await connection.ReadResponseAsync(hasBody: false);
        Assert.Equal(200, head.Status);
        Assert.Equal(_module.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Header("Content-Length"));
        var conditional = await connection.ReadResponseAsync(hasBody: false);
        Assert.Equal(304, conditional.Status);
        var last = await connection.ReadResponseAsync(hasBody: true);
        Assert.Equal(_module, last.Body);
    }

    [Fact]
    public async Task A_malformed_request_after_a_hit_gets_400()
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);

        await connection.SendAsync(Get() + Get("Not a header line\r\n"));

        Assert.Equal(_module, (await connection.ReadResponseAsync(hasBody: true)).Body);
        Assert.Equal(400, (await connection.ReadResponseAsync(hasBody: true)).Status);
    }

    [Theory]
    [InlineData("Host: a:b\r\n")]
    [InlineData("Host: [::1\r\n")]
    [InlineData("Host: :80\r\n")]
    [InlineData("Host: ][\r\n")]
    [InlineData("Host: x\r\nX-Trace: \u00ff\u00fe\r\n")]
    public async Task A_get_kestrel_refuses_is_refused_with_400_not_served(string headers)
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);

        // The same head as a plain hit but for one field Kestrel answers 400 to (a malformed Host, bytes that are not UTF-8).
        await connection.SendAsync(Encoding.Latin1.GetBytes($"GET /sha256/{_digest.Hex} HTTP/1.1\r\n{headers}\r\n"));

        Assert.Equal(400, (await connection.ReadResponseAsync(hasBody: true)).Status);
        Assert.Equal(0, _harness.Metrics.Hits);
    }

    [Fact]
    public void A_module_of_a_gibibyte_or_more_gets_a_send_deadline_a_timer_can_hold()
    {
        // Kestrel's default minimum response rate: 240 bytes/s after 5 s. A 1 GiB module needs about 52 days at that rate,
        // past what CancelAfter accepts, so each hit of it threw in the connection middleware instead of being sent.
        var kestrelDefault = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
        using var deadline = new CancellationTokenSource();

        var allowance = SendfileHits.SendAllowance(int.MaxValue, kestrelDefault);
        deadline.CancelAfter(allowance);

        Assert.Equal(SendfileHits.MaxSendAllowance, allowance);
        Assert.Equal(TimeSpan.FromSeconds(5 + 1250), SendfileHits.SendAllowance(300_000, kestrelDefault));
        Assert.Equal(Timeout.InfiniteTimeSpan, SendfileHits.SendAllowance(int.MaxValue, null));
    }

    [Fact]
    public async Task A_module_not_held_is_404_on_a_connection_that_had_hits()
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);
        var other = new string('0', 64);

        await connection.SendAsync(Get() + $"GET /sha256/{other} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(_module, (await connection.ReadResponseAsync(hasBody: true)).Body);
        Assert.Equal(404, (await connection.ReadResponseAsync(hasBody: true)).Status);
        Assert.Equal(1, _harness.Metrics.Misses);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_keep_alive_timeout()
    {
        using var connection = await RawConnection.OpenAsync(_server.Address);
        await connection.SendAsync(Get());
        Assert.Equal(_module, (await connection.ReadResponseAsync(hasBody: true)).Body);

        // Kestrel's default keep-alive timeout is 130 s. The wait for the next request is armed right after the
        // response is sent, so keep moving the clock until the server closes (a real clock would take minutes).
        var read = connection.ReadByteAsync();
        for (var i = 0; i < 1000 && !read.IsCompleted; i++)
        {
            _harness.Clock.Advance(TimeSpan.FromSeconds(131));
            await Task.WhenAny(read, Task.Delay(10));
        }

        Assert.True(read.IsCompleted, "the idle connection was not closed");
        Assert.Equal(-1, await read);
    }

    private sealed class RawConnection : IDisposable
    {
        private readonly TcpClient _client;
        private readonly Stream _stream;

        private RawConnection(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
        }

        public static async Task<RawConnection> OpenAsync(Uri address)
        {
            var client = new TcpClient();
            await client.ConnectAsync(address.Host, address.Port);
            return new RawConnection(client);
        }

        public Task SendAsync(string text) => _stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

        public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

        public async Task<int> ReadByteAsync()
        {
            var one = new byte[1];
            try
            {
                return await _stream.ReadAsync(one) == 0 ? -1 : one[0];
            }
            catch (IOException)
            {
                return -1;
            }
        }

        public async Task<Response> ReadResponseAsync(bool hasBody)
        {
            var head = new List<byte>();
            while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
            {
                var b = await ReadByteAsync();
                Assert.NotEqual(-1, b);
                head.Add((byte)b);
            }

            var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            var body = new byte[hasBody && headers.TryGetValue("Content-Length", out var length) ? int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) : 0];
            await _stream.ReadExactlyAsync(body);
            return new Response(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
        }

        public void Dispose() => _client.Dispose();
    }

    private sealed record Response(int Status, Dictionary<string, string> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.GetValueOrDefault(name);
    }
}
