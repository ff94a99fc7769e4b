namespace Wasme.ProxyWasm.Vm;

/// <summary>The network (TCP) filter callbacks, as Envoy's <c>envoy.filters.network.wasm</c> calls them.</summary>
internal sealed partial class ProxyWasmVm
{
    private Func<int, int>? _onNewConnection;
    private Func<int, int, int, int>? _onDownstreamData;
    private Func<int, int, int, int>? _onUpstreamData;
    private Action<int, int>? _onDownstreamConnectionClose;
    private Action<int, int>? _onUpstreamConnectionClose;

    private void BindNetworkCallbacks()
    {
        _onNewConnection = _instance.GetFunction1("proxy_on_new_connection");
        _onDownstreamData = _instance.GetFunction3("proxy_on_downstream_data");
        _onUpstreamData = _instance.GetFunction3("proxy_on_upstream_data");
        _onDownstreamConnectionClose = _instance.GetAction2("proxy_on_downstream_connection_close");
        _onUpstreamConnectionClose = _instance.GetAction2("proxy_on_upstream_connection_close");
    }

    public int CallNewConnection(ContextState context)
    {
        if (_onNewConnection is null)
        {
            return IsFailed ? Failed : 0;
        }

        if (!TryEnter())
        {
            return Failed;
        }

        Current = context;
        try
        {
            return _onNewConnection(context.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail("proxy_on_new_connection", ex);
            return Failed;
        }
        finally
        {
            Exit();
        }
    }

    public int CallDownstreamData(ContextState context, int size, bool endOfStream)
        => Call3("proxy_on_downstream_data", _onDownstreamData, context, size, endOfStream ? 1 : 0);

    public int CallUpstreamData(ContextState context, int size, bool endOfStream)
        => Call3("proxy_on_upstream_data", _onUpstreamData, context, size, endOfStream ? 1 : 0);

    public void CallDownstreamConnectionClose(ContextState context, PeerType peer)
        => CallClose("proxy_on_downstream_connection_close", _onDownstreamConnectionClose, context, peer);

    public void CallUpstreamConnectionClose(ContextState context, PeerType peer)
        => CallClose("proxy_on_upstream_connection_close", _onUpstreamConnectionClose, context, peer);

    private void CallClose(string function, Action<int, int>? callback, ContextState context, PeerType peer)
    {
        if (callback is null || !TryEnter())
        {
            return;
        }

        Current = context;
        try
        {
            callback(context.Id, (int)peer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(function, ex);
        }
        finally
        {
            Exit();
        }
    }
}
