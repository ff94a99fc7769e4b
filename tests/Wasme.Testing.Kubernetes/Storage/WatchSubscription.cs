using System.Threading.Channels;

namespace Wasme.Testing.Kubernetes.Storage;

/// <summary>A live feed of one collection's changes; completing it ends the HTTP stream.</summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly Action<WatchSubscription> _unsubscribe;

    public WatchSubscription(string group, string resource, string? ns, Action<WatchSubscription> unsubscribe)
    {
        Group = group;
        Resource = resource;
        Namespace = ns;
        _unsubscribe = unsubscribe;
    }

    public string Group { get; }

    public string Resource { get; }

    public string? Namespace { get; }

    public Channel<StoredEvent> Events { get; } = Channel.CreateUnbounded<StoredEvent>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Set when the server drops the watch (fault injection) rather than the client leaving.</summary>
    public bool Dropped { get; private set; }

    public bool Matches(ObjectKey key) => key.InCollection(Group, Resource, Namespace);

    public void Drop()
    {
        Dropped = true;
        Events.Writer.TryComplete();
    }

    public void Dispose()
    {
        Events.Writer.TryComplete();
        _unsubscribe(this);
    }
}
