namespace Wasme.ProxyWasm.Tests.Infrastructure;

/// <summary>A data-plane stand-in for one stream that records what the filter asked for.</summary>
internal sealed class RecordingStreamHost : IStreamHost
{
    private readonly TaskCompletionSource<StreamType> _continued = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamInfo Info { get; } = new()
    {
        SourceAddress = "127.0.0.1",
        SourcePort = 54321,
        DestinationAddress = "127.0.0.1",
        DestinationPort = 8080,
        Protocol = "HTTP/1.1",
        ConnectionId = 7,
    };

    public List<LocalResponse> LocalResponses { get; } = [];

    public List<StreamType> Continued { get; } = [];

    public List<StreamType> Closed { get; } = [];

    /// <summary>Completes on the first <see cref="ContinueStream"/> (which may arrive on another thread).</summary>
    public Task<StreamType> FirstContinue => _continued.Task;

    public void SendLocalResponse(LocalResponse response) => LocalResponses.Add(response);

    public void ContinueStream(StreamType direction)
    {
        lock (Continued)
        {
            Continued.Add(direction);
        }

        _continued.TrySetResult(direction);
    }

    public void CloseStream(StreamType direction) => Closed.Add(direction);
}
