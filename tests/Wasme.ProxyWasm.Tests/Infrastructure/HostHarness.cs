using Microsoft.Extensions.Time.Testing;

namespace Wasme.ProxyWasm.Tests.Infrastructure;

/// <summary>A runtime with a fake clock and captured logs, plus helpers to run a guest through one request.</summary>
internal sealed class HostHarness : IDisposable
{
    public HostHarness(ProxyWasmRuntimeOptions? options = null)
    {
        Runtime = new ProxyWasmRuntime(options ?? new ProxyWasmRuntimeOptions { EpochInterval = TimeSpan.FromMilliseconds(5) }, Time, Logs);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public CapturingLoggerFactory Logs { get; } = new();

    public ProxyWasmRuntime Runtime { get; }

    public ProxyWasmPlugin Start(string wat, PluginConfiguration? configuration = null, IHttpCallDispatcher? httpCalls = null)
    {
        var module = Runtime.LoadModuleFromText(wat, "test");
        return Runtime.CreatePlugin(module, configuration ?? new PluginConfiguration { Name = "test" }, httpCalls);
    }

    public long Gauge(string name)
    {
        foreach (var metric in Runtime.GetMetrics())
        {
            if (metric.Name == name)
            {
                return metric.Value;
            }
        }

        throw new Xunit.Sdk.XunitException($"The guest never recorded metric '{name}'.");
    }

    public static HeaderMap RequestHeaders(params (string Key, string Value)[] extra)
    {
        var headers = new HeaderMap();
        headers.Add(":method", "GET");
        headers.Add(":path", "/status?x=1");
        headers.Add(":authority", "example.test");
        headers.Add(":scheme", "http");
        foreach (var (key, value) in extra)
        {
            headers.Add(key, value);
        }

        return headers;
    }

    public void Dispose() => Runtime.Dispose();
}
