using Wasme.ProxyWasm;

namespace Wasme.Bench.ProxyWasm;

/// <summary>A stream host that does nothing: the benchmark measures the host, not a data plane.</summary>
internal sealed class NullStreamHost : IStreamHost
{
    public StreamInfo Info { get; } = new() { SourceAddress = "127.0.0.1", SourcePort = 40000 };

    public void SendLocalResponse(LocalResponse response)
    {
    }

    public void ContinueStream(StreamType direction)
    {
    }

    public void CloseStream(StreamType direction)
    {
    }
}
