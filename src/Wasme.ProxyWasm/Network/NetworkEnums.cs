namespace Wasme.ProxyWasm;

/// <summary>What a TCP data callback tells the data plane (Envoy's <c>Network::FilterStatus</c>).</summary>
public enum NetworkFilterStatus
{
    /// <summary>Pass the data on to the next filter, then the other side.</summary>
    Continue = 0,

    /// <summary>Hold the data: it stays in the buffer, and the next callback of that direction sees it with what arrived since.</summary>
    StopIteration = 1,
}

/// <summary>Who closed a connection (<c>proxy_peer_type_t</c>).</summary>
public enum PeerType
{
    Unknown = 0,
    Local = 1,
    Remote = 2,
}
