namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Host-side state of one Proxy-Wasm context (the root context, one HTTP stream, or one TCP connection). A VM reuses
/// the states of deleted stream contexts (<see cref="Reuse"/>): nothing may keep one after its context is deleted.
/// </summary>
internal sealed class ContextState(int id, IStreamHost? host)
{
    public int Id { get; private set; } = id;

    /// <summary>Null for the root context.</summary>
    public IStreamHost? Host { get; private set; } = host;

    public bool IsRoot => Host is null;

    public HeaderMap? RequestHeaders { get; set; }

    public HeaderMap? RequestTrailers { get; set; }

    public HeaderMap? ResponseHeaders { get; set; }

    public HeaderMap? ResponseTrailers { get; set; }

    public BodyBuffer? RequestBody { get; set; }

    public BodyBuffer? ResponseBody { get; set; }

    /// <summary>TCP filters: bytes read from the client not yet passed on (DOWNSTREAM_DATA).</summary>
    public BodyBuffer? DownstreamData { get; set; }

    /// <summary>TCP filters: bytes read from the upstream not yet passed on (UPSTREAM_DATA).</summary>
    public BodyBuffer? UpstreamData { get; set; }

    /// <summary>Set once the filter sent a local response: later callback results are forced to stop.</summary>
    public LocalResponse? LocalResponse { get; set; }

    /// <summary><c>proxy_on_done</c> returned false: <c>proxy_on_log</c> waits for <c>proxy_done</c>.</summary>
    public bool DonePending { get; set; }

    public bool Done { get; set; }

    /// <summary>Values written with <c>proxy_set_property</c>, by \0-joined path.</summary>
    public Dictionary<string, byte[]>? Properties { get; set; }

    /// <summary>What <see cref="Properties"/> holds, as <see cref="PluginLimits.MaxPropertyBytes"/> counts it.</summary>
    public long PropertyBytes { get; set; }

    /// <summary>Header entries the filter added to this stream's maps, as <see cref="PluginLimits.MaxPairsBytes"/> counts them.</summary>
    public long AddedHeaderBytes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Makes a deleted stream context's state a fresh one for another stream.</summary>
    public void Reuse(int id, IStreamHost host, DateTimeOffset createdAt)
    {
        Id = id;
        Host = host;
        RequestHeaders = null;
        RequestTrailers = null;
        ResponseHeaders = null;
        ResponseTrailers = null;
        RequestBody = null;
        ResponseBody = null;
        DownstreamData = null;
        UpstreamData = null;
        LocalResponse = null;
        DonePending = false;
        Done = false;
        Properties = null;
        PropertyBytes = 0;
        AddedHeaderBytes = 0;
        CreatedAt = createdAt;
    }
}
