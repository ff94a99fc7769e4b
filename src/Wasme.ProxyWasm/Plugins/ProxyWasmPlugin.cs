using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm;

/// <summary>
/// A running plugin: its VMs (one per worker), their root contexts, and its failure policy.
/// Thread-safe: create a stream context per request from any thread; streams are spread over the VMs.
/// </summary>
public sealed partial class ProxyWasmPlugin : IDisposable
{
    private readonly ProxyWasmRuntime _runtime;
    private readonly ProxyWasmModule _module;
    private readonly IHttpCallDispatcher? _httpCalls;
    private readonly ILogger _logger;
    private readonly Slot[] _slots;
    private readonly Lock _gate = new();
    private int _next;
    private int _reloadCount;
    private bool _disposed;

    internal ProxyWasmPlugin(ProxyWasmRuntime runtime, ProxyWasmModule module, PluginConfiguration configuration, IHttpCallDispatcher? httpCalls)
    {
        _runtime = runtime;
        _module = module;
        _httpCalls = httpCalls;
        Configuration = configuration;
        _logger = runtime.LoggerFactory.CreateLogger("Wasme.ProxyWasm.Plugin." + configuration.Name);
        _slots = new Slot[configuration.Workers];
        try
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                _slots[i] = new Slot { Vm = StartVm(), StartedAt = runtime.TimeProvider.GetUtcNow() };
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public PluginConfiguration Configuration { get; }

    public string Name => Configuration.Name;

    public ProxyWasmModule Module => _module;

    /// <summary>True while any VM of the plugin is failed and not yet reloaded.</summary>
    public bool IsFailed
    {
        get
        {
            lock (_gate)
            {
                foreach (var slot in _slots)
                {
                    if (slot is null || slot.Vm is null || slot.Vm.IsFailed)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>Why the most recent VM failure happened, for status pages; null when healthy.</summary>
    public string? FailureReason
    {
        get
        {
            lock (_gate)
            {
                foreach (var slot in _slots)
                {
                    if (slot?.Vm is { IsFailed: true } vm)
                    {
                        return vm.FailureReason;
                    }

                    if (slot is not null && slot.Vm is null)
                    {
                        return slot.LastError;
                    }
                }

                return null;
            }
        }
    }

    /// <summary>VM failures and reloads, for a stats endpoint.</summary>
    public PluginStatistics Statistics { get; } = new();

    /// <summary>How many times a failed VM was replaced (policy <see cref="FailurePolicy.Reload"/>).</summary>
    public int ReloadCount => Volatile.Read(ref _reloadCount);

    /// <summary>
    /// Picks the VM for one HTTP stream. The guest's context is created with the stream's request headers, as in
    /// Envoy (see <see cref="HttpStreamContext.OnRequestHeaders"/>). Never throws for a failed plugin: the policy applies.
    /// </summary>
    public HttpStreamContext CreateHttpStream(IStreamHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new HttpStreamContext(this, NextVm(), host);
    }

    /// <summary>Spreads contexts over the VMs, round robin.</summary>
    private ProxyWasmVm? NextVm() => HealthyVm((int)((uint)Interlocked.Increment(ref _next) % (uint)_slots.Length));

    private ProxyWasmVm StartVm() => ProxyWasmVm.Start(_runtime, _module, Configuration, _httpCalls, OnVmFailed);

    /// <summary>The VM for a slot; for the reload policy, replaces a failed VM once its backoff has passed.</summary>
    private ProxyWasmVm? HealthyVm(int index)
    {
        var slot = _slots[index];
        var vm = slot.Vm;
        if (vm is not null && !vm.IsFailed)
        {
            return vm;
        }

        if (Configuration.FailurePolicy != FailurePolicy.Reload)
        {
            return null;
        }

        lock (_gate)
        {
            var now = _runtime.TimeProvider.GetUtcNow();
            if (slot.Vm is { IsFailed: false } current)
            {
                return current;
            }

            if (_disposed)
            {
                return null;
            }

            if (now < slot.RetryAt)
            {
                Statistics.InBackoff();
                return null;
            }

            Statistics.Reloading();
            var count = Interlocked.Increment(ref _reloadCount);
            Log.VmReloading(_logger, Name, count);
            try
            {
                var replacement = StartVm();
                var old = slot.Vm;
                slot.Vm = replacement;
                slot.StartedAt = now;
                slot.LastError = null;
                old?.Dispose();
                Statistics.Reloaded();
                return replacement;
            }
            catch (ProxyWasmException ex)
            {
                Statistics.ReloadFailed();
                slot.ConsecutiveFailures++;
                var backoff = Backoff(slot.ConsecutiveFailures);
                slot.RetryAt = now + backoff;
                slot.LastError = ex.Message;
                Log.ReloadFailed(_logger, Name, backoff, ex.Message);
                return null;
            }
        }
    }

    /// <summary>Called by a VM, under its own lock, when it fails; schedules the next reload.</summary>
    private void OnVmFailed(ProxyWasmVm vm)
    {
        Statistics.VmFailed();
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                if (slot is null || !ReferenceEquals(slot.Vm, vm))
                {
                    continue;
                }

                var now = _runtime.TimeProvider.GetUtcNow();
                // A VM that ran well for a while resets the backoff; one that dies at once keeps doubling it.
                slot.ConsecutiveFailures = now - slot.StartedAt > Configuration.MaxReloadBackoff ? 1 : slot.ConsecutiveFailures + 1;
                slot.RetryAt = now + Backoff(slot.ConsecutiveFailures);
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(Math.Max(failures - 1, 0), 20));
        var backoff = Configuration.ReloadBackoff * factor;
        return backoff > Configuration.MaxReloadBackoff ? Configuration.MaxReloadBackoff : backoff;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var slot in _slots)
            {
                slot?.Vm?.Dispose();
            }
        }
    }

    private sealed class Slot
    {
        public ProxyWasmVm? Vm { get; set; }

        public DateTimeOffset StartedAt { get; set; }

        public DateTimeOffset RetryAt { get; set; }

        public int ConsecutiveFailures { get; set; }

        public string? LastError { get; set; }
    }
}
