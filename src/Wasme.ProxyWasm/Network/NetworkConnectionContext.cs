using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm;

/// <summary>
/// The filter's view of one TCP connection, as Envoy's network Wasm filter drives it: <see cref="OnNewConnection"/>,
/// then data callbacks per direction with the connection's pending bytes (a paused direction keeps its bytes, and the
/// next callback sees them with what arrived since), then <see cref="OnDownstreamConnectionClose"/>,
/// <see cref="OnDone"/> and <see cref="Dispose"/>. <c>proxy_continue_stream</c>/<c>proxy_close_stream</c> with the
/// downstream or upstream type reach <see cref="IStreamHost"/>. Never throws for guest failures: when the VM fails,
/// fail open passes data through untouched and the other policies close the connection (Envoy's failStream).
/// </summary>
public sealed class NetworkConnectionContext : IDisposable
{
    private readonly ProxyWasmPlugin _plugin;
    private readonly ProxyWasmVm? _vm;
    private readonly ContextState? _context;
    private readonly IStreamHost _host;
    private bool _bypassed;
    private bool _closeRequested;
    private bool _disposed;

    internal NetworkConnectionContext(ProxyWasmPlugin plugin, ProxyWasmVm? vm, ContextState? context, IStreamHost host)
    {
        _plugin = plugin;
        _vm = vm;
        _context = context;
        _host = host;
        _bypassed = context is null && plugin.Configuration.FailurePolicy == FailurePolicy.FailOpen;
    }

    public string PluginName => _plugin.Name;

    public NetworkFilterStatus OnNewConnection() =>
        Run(static (vm, context, _, _) => vm.CallNewConnection(context), null, false);

    public NetworkFilterStatus OnDownstreamData(BodyBuffer data, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Run(static (vm, context, buffer, end) => { context.DownstreamData = buffer; return vm.CallDownstreamData(context, buffer!.Length, end); }, data, endOfStream);
    }

    public NetworkFilterStatus OnUpstreamData(BodyBuffer data, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Run(static (vm, context, buffer, end) => { context.UpstreamData = buffer; return vm.CallUpstreamData(context, buffer!.Length, end); }, data, endOfStream);
    }

    public void OnDownstreamConnectionClose(PeerType peer) => Notify(vm => vm.CallDownstreamConnectionClose(_context!, peer));

    public void OnUpstreamConnectionClose(PeerType peer) => Notify(vm => vm.CallUpstreamConnectionClose(_context!, peer));

    /// <summary>The connection is gone: <c>proxy_on_done</c> then <c>proxy_on_log</c>.</summary>
    public void OnDone() => Notify(vm => vm.CallDone(_context!));

    /// <summary>Runs <c>proxy_on_delete</c> and forgets the connection.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_vm is null || _context is null)
        {
            return;
        }

        lock (_vm.Gate)
        {
            _context.DownstreamData = null;
            _context.UpstreamData = null;
            _vm.CallDelete(_context);
        }
    }

    private NetworkFilterStatus Run(Func<ProxyWasmVm, ContextState, BodyBuffer?, bool, int> call, BodyBuffer? data, bool endOfStream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_bypassed)
        {
            return NetworkFilterStatus.Continue;
        }

        if (_vm is null || _context is null || _closeRequested)
        {
            return FailConnection();
        }

        int raw;
        lock (_vm.Gate)
        {
            if (_vm.InGuest)
            {
                throw new InvalidOperationException("A connection callback was called from inside a filter callback; schedule it instead.");
            }

            raw = call(_vm, _context, data, endOfStream);
        }

        if (_vm.IsFailed)
        {
            return FailConnection();
        }

        return raw == 0 ? NetworkFilterStatus.Continue : NetworkFilterStatus.StopIteration;
    }

    private void Notify(Action<ProxyWasmVm> call)
    {
        if (_vm is null || _context is null || _disposed)
        {
            return;
        }

        lock (_vm.Gate)
        {
            call(_vm);
        }
    }

    /// <summary>Fail open: pass through from now on. Otherwise close the connection once, as Envoy's failStream(downstream).</summary>
    private NetworkFilterStatus FailConnection()
    {
        if (_plugin.Configuration.FailurePolicy == FailurePolicy.FailOpen)
        {
            _bypassed = true;
            return NetworkFilterStatus.Continue;
        }

        if (!_closeRequested)
        {
            _closeRequested = true;
            _host.CloseStream(StreamType.Downstream);
        }

        return NetworkFilterStatus.StopIteration;
    }
}
