using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class StreamHostContractTests : IDisposable
{
    private readonly HostHarness _host = new();

    /// <summary>A data plane that wrongly resumes the stream synchronously from inside the filter's call.</summary>
    private sealed class ReentrantHost : IStreamHost
    {
        public HttpStreamContext? Stream { get; set; }

        public StreamInfo Info { get; } = new();

        public void SendLocalResponse(LocalResponse response)
        {
        }

        public void ContinueStream(StreamType direction) => Stream!.OnRequestBody(new BodyBuffer(), endOfStream: true);

        public void CloseStream(StreamType direction)
        {
        }
    }

    [Fact]
    public void Re_entering_a_stream_from_inside_a_filter_call_is_refused_with_a_clear_reason()
    {
        var wat = new Wat();
        var module = wat.Module("""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_continue_stream (i32.const 0)))
              (i32.const 0))
            """);
        using var plugin = _host.Start(module);
        var host = new ReentrantHost();
        using var stream = plugin.CreateHttpStream(host);
        host.Stream = stream;

        stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: false);

        Assert.True(plugin.IsFailed);
        Assert.Contains("schedule it instead", plugin.FailureReason);
    }

    [Fact]
    public void An_import_with_the_wrong_signature_is_refused_when_the_vm_starts()
    {
        var wat = new Wat();
        var imports = """(import "env" "proxy_log" (func $bad_log (param i32) (result i32)))""";

        var error = Assert.Throws<ProxyWasmException>(() => _host.Start(wat.Module("", imports)));

        Assert.Contains("could not be instantiated", error.Message);
        Assert.Contains("proxy_log", error.Message);
    }

    public void Dispose() => _host.Dispose();
}
