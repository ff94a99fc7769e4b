namespace Wasme.ProxyWasm;

/// <summary>
/// A running plugin: its VMs (one per worker), their root contexts, and its failure policy.
/// Thread-safe: create a stream context per request from any thread.
/// </summary>
public sealed class ProxyWasmPlugin : IDisposable
{
    internal ProxyWasmPlugin()
    {
        Configuration = null!;
    }

    public PluginConfiguration Configuration { get; }

    public string Name => Configuration.Name;

    /// <summary>True while any VM of the plugin is failed and not yet reloaded.</summary>
    public bool IsFailed => throw new NotImplementedException();

    /// <summary>How many times a failed VM was replaced (policy <see cref="FailurePolicy.Reload"/>).</summary>
    public int ReloadCount => throw new NotImplementedException();

    /// <summary>Creates the filter's context for one HTTP stream.</summary>
    public HttpStreamContext CreateHttpStream(IStreamHost host) => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
