using System.Threading.Channels;
using k8s;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Api;

/// <summary>Pumps a KubernetesClient watch into a channel so a test can take events in order, and see errors and the end.</summary>
internal sealed class WatchCollector<T> : IAsyncDisposable
{
    private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public WatchCollector(Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    {
        _pump = PumpAsync(watch);
    }

    public List<Exception> Errors { get; } = [];

    /// <summary>The next <paramref name="count"/> events; fails if the watch ends first.</summary>
    public async Task<List<(WatchEventType Type, T Object)>> TakeAsync(int count)
    {
        var taken = new List<(WatchEventType, T)>();
        while (taken.Count < count)
        {
            Assert.True(await _events.Reader.WaitToReadAsync().AsTask().WithinLimit(), $"the watch ended after {taken.Count} of {count} events; errors: {string.Join("; ", Errors)}");
            while (taken.Count < count && _events.Reader.TryRead(out var item))
            {
                taken.Add(item);
            }
        }

        return taken;
    }

    /// <summary>Every remaining event until the server ends the watch.</summary>
    public async Task<List<(WatchEventType Type, T Object)>> TakeAllAsync()
    {
        var taken = new List<(WatchEventType, T)>();
        using var limit = new CancellationTokenSource(Safety.Limit);
        await foreach (var item in _events.Reader.ReadAllAsync(limit.Token))
        {
            taken.Add(item);
        }

        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    {
        try
        {
            await foreach (var item in watch(e => Errors.Add(e), _stop.Token))
            {
                await _events.Writer.WriteAsync(item);
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            Errors.Add(e);
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }
}
