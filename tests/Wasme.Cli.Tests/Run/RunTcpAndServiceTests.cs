using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Spectre.Console.Testing;
using Wasme.Testing.Filters;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// <c>wasme run --tcp</c> proxies a real TCP upstream through network filters, and <c>--service</c> runs a Wasm
/// service that an HTTP filter's shared-queue messages reach (issue 16 points 4 and 5).
/// </summary>
public sealed class RunTcpAndServiceTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-cli-run-tcp-");

    private string WriteModule(string name, string wat)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText(wat));
        return path;
    }

    [Fact]
    public async Task Tcp_mode_runs_the_filters_as_network_filters_in_front_of_a_real_tcp_upstream()
    {
        var module = WriteModule("lines.wasm", NetworkFilters.LineFilter());
        using var upstream = new TcpListener(IPAddress.Loopback, 0);
        upstream.Start();
        await using var wasme = new Invocation([module, "--tcp", $"127.0.0.1:0={upstream.LocalEndpoint}"]);
        var listening = await wasme.WaitListeningAsync();

        using var client = new TcpClient();
        await client.ConnectAsync(listening);
        await client.GetStream().WriteAsync("ping\n"u8.ToArray());
        using var accepted = await upstream.AcceptTcpClientAsync();
        var line = await new StreamReader(accepted.GetStream()).ReadLineAsync();

        await accepted.GetStream().WriteAsync("pong"u8.ToArray());
        accepted.Client.Shutdown(SocketShutdown.Send);
        var answer = await new StreamReader(client.GetStream(), Encoding.UTF8).ReadToEndAsync();

        Assert.Equal("> ping", line);
        Assert.Equal("pong!", answer);
        Assert.Contains($"listening on tcp://{listening} -> {upstream.LocalEndpoint}", wasme.Out.Output, StringComparison.Ordinal);
        Assert.Contains("network filter lines", wasme.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_receives_what_the_http_filter_enqueues_to_its_queue()
    {
        var (service, filter) = WriteCollectorAndSender();
        await using var wasme = await RunningWasme.StartAsync(filter, "--id", "collector", "--service", service, "--service-vm-id", "collector", "--echo-upstream");
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        var seen = await RecordAndWaitForTheServiceAsync(wasme.Client);

        Assert.Equal("/first", seen);
        Assert.Contains("service collector-svc (root id '', vm id 'collector', 1 VM)", wasme.Out.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The shared-queue pattern of the Rust and Go SDKs: a service registers "paths" and stores each message as shared
    /// data; an HTTP filter enqueues the path of requests marked x-record, and shows what the service last stored.
    /// </summary>
    private (string Service, string Filter) WriteCollectorAndSender()
    {
        var collector = new Wat();
        var service = WriteModule("collector-svc.wasm", collector.Module($$"""
            (func (export "proxy_on_configure") (param i32 i32) (result i32)
              (drop (call $proxy_register_shared_queue {{collector.Str("paths")}} (i32.const 16)))
              (i32.const 1))
            (func (export "proxy_on_queue_ready") (param i32) (param $queue i32)
              (if (i32.eqz (call $proxy_dequeue_shared_queue (local.get $queue) (i32.const 0) (i32.const 4)))
                (then
                  (drop (call $proxy_set_shared_data {{collector.Str("last_path")}} (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.const 0))))))
            """));
        var sender = new Wat();
        var filter = WriteModule("sender.wasm", sender.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (if (i32.and (i32.eqz (call $proxy_get_header_map_value (i32.const 0) {{sender.Str("x-record")}} (i32.const 0) (i32.const 4)))
                           (i32.eqz (call $proxy_resolve_shared_queue {{sender.Str("collector")}} {{sender.Str("paths")}} (i32.const 16))))
                (then
                  (drop (call $proxy_get_header_map_value (i32.const 0) {{sender.Str(":path")}} (i32.const 0) (i32.const 4)))
                  (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 16)) (i32.load (i32.const 0)) (i32.load (i32.const 4))))))
              (i32.const 0))
            (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
              (if (i32.eqz (call $proxy_get_shared_data {{sender.Str("last_path")}} (i32.const 0) (i32.const 4) (i32.const 8)))
                (then {{sender.AddReturnedAsHeader(2, "x-last-path")}}))
              (i32.const 0))
            """));
        return (service, filter);
    }

    private static async Task<string?> RecordAndWaitForTheServiceAsync(HttpClient client)
    {
        using (var first = new HttpRequestMessage(HttpMethod.Get, "/first") { Headers = { { "x-record", "1" } } })
        using (await client.SendAsync(first))
        {
        }

        // The service dequeues on its own thread after the enqueue: ask until its store shows.
        string? seen = null;
        for (var i = 0; i < 500 && seen is null; i++)
        {
            using var response = await client.GetAsync("/probe");
            seen = response.Headers.TryGetValues("x-last-path", out var values) ? values.Single() : null;
            if (seen is null)
            {
                await Task.Delay(20);
            }
        }

        return seen;
    }

    [Fact]
    public async Task An_envoy_filter_bootstrap_wasm_service_runs_beside_its_http_filter()
    {
        var (service, filter) = WriteCollectorAndSender();
        var resource = Path.Combine(_directory.FullName, "collector.yaml");
        await File.WriteAllTextAsync(resource, $$"""
            kind: EnvoyFilter
            metadata: {name: collector, namespace: shop}
            spec:
              configPatches:
              - applyTo: HTTP_FILTER
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.filters.http.wasm
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: sender
                        vm_config:
                          vm_id: collector
                          code:
                            local:
                              filename: "{{filter}}"
              - applyTo: BOOTSTRAP
                patch:
                  operation: MERGE
                  value:
                    bootstrap_extensions:
                    - name: envoy.bootstrap.wasm
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.wasm.v3.WasmService
                        singleton: true
                        config:
                          name: collector-svc
                          vm_config:
                            vm_id: collector
                            code:
                              local:
                                filename: "{{service}}"
            """);
        await using var wasme = await RunningWasme.StartAsync("--envoy-filter", resource, "--echo-upstream");
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        var seen = await RecordAndWaitForTheServiceAsync(wasme.Client);

        Assert.Equal("/first", seen);
        Assert.Contains("service collector-svc (root id '', vm id 'collector', 1 VM)", wasme.Out.Output, StringComparison.Ordinal);
        Assert.Contains("filter sender", wasme.Out.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tcp", "9000", "is not LISTEN=UPSTREAM")]
    [InlineData("--tcp", "127.0.0.1:0=nohost", "is not HOST:PORT")]
    [InlineData("--service-vm-id", "x", "pass --service IMAGE_OR_FILE")]
    public async Task Malformed_tcp_and_service_flags_are_usage_errors_naming_the_fix(string flag, string value, string message)
    {
        await using var wasme = new Invocation([flag, value]);

        Assert.Equal(2, await wasme.ExitCodeAsync());
        Assert.Contains(message, wasme.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tcp-max-connections 5 --echo-upstream", "pass --tcp LISTEN=UPSTREAM, or drop them")]
    [InlineData("--tcp 127.0.0.1:0=127.0.0.1:9 --tcp-max-connections 0", "--tcp-max-connections 0 must be at least 1")]
    [InlineData("--tcp 127.0.0.1:0=127.0.0.1:9 --tcp-idle-timeout soon", "--tcp-idle-timeout 'soon' is not a duration")]
    [InlineData("--tcp 127.0.0.1:0=127.0.0.1:9 --accept-http-10", "--accept-http-10 is for HTTP listeners")]
    [InlineData("--echo-upstream --h2c --accept-http-10", "--h2c listens for HTTP/2 only")]
    public async Task Tcp_limits_that_cannot_apply_are_usage_errors_naming_the_flag(string arguments, string message)
    {
        await using var wasme = new Invocation([.. arguments.Split(' ')]);

        Assert.Equal(2, await wasme.ExitCodeAsync());
        Assert.Contains(message, wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_with_an_http_upstream_is_a_usage_error()
    {
        await using var wasme = new Invocation(["--tcp", "127.0.0.1:0=127.0.0.1:9", "--upstream", "http://127.0.0.1:9"]);

        Assert.Equal(2, await wasme.ExitCodeAsync());
        Assert.Contains("drop --upstream and --echo-upstream", wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_that_is_not_http_is_refused_with_tcp_too()
    {
        // Network filters reach --cluster with http_call as HTTP filters do.
        await using var wasme = new Invocation(["--tcp", "127.0.0.1:0=127.0.0.1:9", "--cluster", "auth=ftp://127.0.0.1/"]);

        Assert.Equal(2, await wasme.ExitCodeAsync());
        Assert.Contains("cluster 'auth' URL 'ftp://127.0.0.1/' is not an absolute http:// or https:// URL", wasme.Error.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary><c>wasme run</c> with exactly the given arguments (no --listen added), stopped as Ctrl+C would stop it.</summary>
    private sealed class Invocation : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _run;

        public Invocation(string[] args)
        {
            var context = new CliContext
            {
                Out = Out,
                Error = Error,
                GetEnvironmentVariable = Environment.GetEnvironmentVariable,
                TimeProvider = TimeProvider.System,
                IsInteractive = false,
            };
            var command = WasmeRootCommand.Create(context);
            _run = Task.Run(() => command.Parse(["run", .. args]).InvokeAsync(new InvocationConfiguration(), _stop.Token));
        }

        public TestConsole Out { get; } = new TestConsole().Width(400);

        public TestConsole Error { get; } = new TestConsole().Width(400);

        public Task<int> ExitCodeAsync() => _run.WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>The address wasme run printed once bound (it was given port 0), or a failure with what it said.</summary>
        public async Task<IPEndPoint> WaitListeningAsync()
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while (!_run.IsCompleted && DateTimeOffset.UtcNow < deadline)
            {
                if (ListeningBanner.Listen(Out.Output) is { } bound)
                {
                    return bound;
                }

                await Task.WhenAny(_run, Task.Delay(20));
            }

            return ListeningBanner.Listen(Out.Output) ?? throw new InvalidOperationException($"wasme run --tcp did not listen: {Error.Output}");
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            _stop.Dispose();
        }
    }
}
