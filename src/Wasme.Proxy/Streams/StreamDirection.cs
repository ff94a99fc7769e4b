namespace Wasme.Proxy.Streams;

/// <summary>Which half of an HTTP stream an event belongs to (Proxy-Wasm's HTTP_REQUEST / HTTP_RESPONSE stream types).</summary>
public enum StreamDirection
{
    Request = 0,
    Response = 1,
}
