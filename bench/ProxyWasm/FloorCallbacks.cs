namespace Wasme.Bench.ProxyWasm;

/// <summary>The add-header module's exports as a floor calls them: one request is the six callbacks a stream makes.</summary>
internal sealed record FloorCallbacks(
    Action<int, int> ContextCreate,
    Func<int, int, int, int> RequestHeaders,
    Func<int, int, int, int> ResponseHeaders,
    Func<int, int> Done,
    Action<int> Log,
    Action<int> Delete)
{
    private int _nextId = 2;

    public int Request()
    {
        var id = _nextId++;
        ContextCreate(id, 1);
        RequestHeaders(id, 4, 1);
        var status = ResponseHeaders(id, 2, 0);
        Done(id);
        Log(id);
        Delete(id);
        return status;
    }
}
