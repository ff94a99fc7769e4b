using Wasme.ProxyWasm;

namespace Wasme.Bench.ProxyWasm;

/// <summary>A stream host that does nothing: the benchmark measures the host, not a data plane.</summary>
internal sealed class NullStreamHost : IStreamHost
{
    // Stamped with a start time, as wasme run's data plane stamps every stream.
    public StreamInfo Info { get; } = new() { SourceAddress = "127.0.0.1", SourcePort = 40000, StartTime = DateTimeOffset.UnixEpoch };

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
