using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>The real template filter, built with the real AssemblyScript SDK (@solo-io/proxy-runtime), in this host.</summary>
public sealed class AssemblyScriptFilterTests(AssemblyScriptFilters filters) : IClassFixture<AssemblyScriptFilters>, IDisposable
{
    private readonly HostHarness _host = new();

    [Fact]
    public async Task The_template_filter_adds_its_configured_header_to_responses()
    {
        var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        using var module = _host.Runtime.LoadModule(filter.Module, "add_header.wasm");
        using var plugin = _host.Runtime.CreatePlugin(module, new PluginConfiguration
        {
            Name = "add_header",
            RootId = AssemblyScriptFilters.DefaultRootId,
            Configuration = "world"u8.ToArray(),
        });
        var response = new HeaderMap();
        response.Add(":status", "200");

        using (var stream = plugin.CreateHttpStream(new RecordingStreamHost()))
        {
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnRequestHeaders(HostHarness.RequestHeaders(), endOfStream: true));
            Assert.Equal(FilterHeadersStatus.Continue, stream.OnResponseHeaders(response, endOfStream: true));
            stream.OnDone();
        }

        Assert.Equal(["world"], response.GetValues("hello"));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
    }

    public void Dispose() => _host.Dispose();
}
