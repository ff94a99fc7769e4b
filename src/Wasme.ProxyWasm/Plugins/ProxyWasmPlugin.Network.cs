using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm;

/// <summary>TCP connections: the plugin as a network filter.</summary>
public sealed partial class ProxyWasmPlugin
{
    /// <summary>Creates the filter's context for one TCP connection. Never throws for a failed plugin: the policy applies.</summary>
    public NetworkConnectionContext CreateNetworkConnection(IStreamHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var vm = NextVm();
        if (vm is null)
        {
            return new NetworkConnectionContext(this, null, null, host);
        }

        ContextState? context;
        lock (vm.Gate)
        {
            if (vm.InGuest)
            {
                throw new InvalidOperationException("CreateNetworkConnection was called from inside a filter callback; schedule it instead.");
            }

            context = vm.CreateStream(host);
        }

        return new NetworkConnectionContext(this, context is null ? null : vm, context, host);
    }
}
