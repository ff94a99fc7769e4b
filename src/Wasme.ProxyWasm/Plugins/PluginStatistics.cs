namespace Wasme.ProxyWasm;

/// <summary>
/// A plugin's VM lifecycle counts: the failures its VMs had (traps, interrupted calls, failed callbacks) and the
/// reloads of the <see cref="FailurePolicy.Reload"/> policy, named after Envoy's <c>wasm.&lt;plugin&gt;.vm_reload*</c> stats.
/// </summary>
public sealed class PluginStatistics
{
    private long _vmFailures;
    private long _reloads;
    private long _reloadSuccesses;
    private long _reloadFailures;
    private long _reloadBackoffs;

    /// <summary>VMs of this plugin that failed while serving (each fails once, then is replaced or stays failed).</summary>
    public long VmFailures => Interlocked.Read(ref _vmFailures);

    /// <summary>Reload attempts (Envoy's <c>vm_reload</c>).</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>Reloads that started a new VM (<c>vm_reload_success</c>).</summary>
    public long ReloadSuccesses => Interlocked.Read(ref _reloadSuccesses);

    /// <summary>Reloads whose new VM failed to start (<c>vm_reload_failure</c>).</summary>
    public long ReloadFailures => Interlocked.Read(ref _reloadFailures);

    /// <summary>Streams that found a failed VM still in its reload backoff (<c>vm_reload_backoff</c>).</summary>
    public long ReloadBackoffs => Interlocked.Read(ref _reloadBackoffs);

    internal void VmFailed() => Interlocked.Increment(ref _vmFailures);

    internal void Reloading() => Interlocked.Increment(ref _reloads);

    internal void Reloaded() => Interlocked.Increment(ref _reloadSuccesses);

    internal void ReloadFailed() => Interlocked.Increment(ref _reloadFailures);

    internal void InBackoff() => Interlocked.Increment(ref _reloadBackoffs);
}
