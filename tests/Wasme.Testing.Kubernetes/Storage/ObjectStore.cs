using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Storage;

/// <summary>
/// The etcd of the test server: objects as JSON, one global revision counter that stamps every write,
/// and a bounded history of changes from which watches resume. Every read returns a copy.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ObjectKey, JsonObject> _objects = [];
    private readonly Dictionary<string, ObjectKey> _uids = new(StringComparer.Ordinal);
    private readonly LinkedList<StoredEvent> _history = new();
    private readonly List<WatchSubscription> _subscriptions = [];
    private readonly int _historyLimit;
    private long _revision;
    private long _compactedRevision;

    public ObjectStore(int historyLimit)
    {
        _historyLimit = historyLimit;
    }

    /// <summary>Raised (outside the lock) after an object is removed for good; drives garbage collection.</summary>
    public event Action<JsonObject>? Removed;

    /// <summary>Raised (outside the lock) after an object is created or changed; drives garbage collection of new owner references.</summary>
    public event Action<JsonObject>? Written;

    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    /// <summary>The oldest revision a watch may still start from.</summary>
    public long CompactedRevision
    {
        get
        {
            lock (_gate)
            {
                return _compactedRevision;
            }
        }
    }

    public JsonObject? Get(ObjectKey key)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(key, out var obj) ? obj.CloneObject() : null;
        }
    }

    public bool UidExists(string uid)
    {
        lock (_gate)
        {
            return _uids.ContainsKey(uid);
        }
    }

    public (List<(ObjectKey Key, JsonObject Object)> Items, long Revision) List(string group, string resource, string? ns)
    {
        lock (_gate)
        {
            var items = _objects
                .Where(p => p.Key.InCollection(group, resource, ns))
                .OrderBy(p => p.Key.Namespace, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => (p.Key, p.Value.CloneObject()))
                .ToList();
            return (items, _revision);
        }
    }

    /// <summary>Copies of the objects that match; the predicate sees the stored object and must not change it.</summary>
    public List<(ObjectKey Key, JsonObject Object)> Select(Func<ObjectKey, JsonObject, bool> predicate)
    {
        lock (_gate)
        {
            return _objects.Where(p => predicate(p.Key, p.Value)).Select(p => (p.Key, p.Value.CloneObject())).ToList();
        }
    }

    public bool Any(Func<ObjectKey, JsonObject, bool> predicate)
    {
        lock (_gate)
        {
            return _objects.Any(p => predicate(p.Key, p.Value));
        }
    }

    public JsonObject? GetByUid(string uid)
    {
        lock (_gate)
        {
            return _uids.TryGetValue(uid, out var key) && _objects.TryGetValue(key, out var obj) ? obj.CloneObject() : null;
        }
    }

    public JsonObject Create(ObjectKey key, JsonObject obj, Func<Exception> alreadyExists)
    {
        JsonObject created;
        lock (_gate)
        {
            if (_objects.ContainsKey(key))
            {
                throw alreadyExists();
            }

            var stored = Stamp(obj);
            _objects[key] = stored;
            _uids[stored.Uid()] = key;
            Publish("ADDED", key, stored, null);
            created = stored.CloneObject();
        }

        Written?.Invoke(created);
        return created.CloneObject();
    }

    /// <summary>
    /// Atomic read-modify-write: <paramref name="mutate"/> gets a copy of the current object and returns the next one
    /// (or throws). An unchanged result is not written and keeps its resourceVersion, as kube-apiserver does.
    /// </summary>
    public JsonObject Update(ObjectKey key, Func<JsonObject, JsonObject> mutate, Func<Exception> notFound)
    {
        JsonObject updated;
        lock (_gate)
        {
            if (!_objects.TryGetValue(key, out var current))
            {
                throw notFound();
            }

            var next = mutate(current.CloneObject());
            next.Metadata()["resourceVersion"] = current.ResourceVersion();
            if (JsonNode.DeepEquals(next, current))
            {
                return current.CloneObject();
            }

            var stored = Stamp(next);
            _objects[key] = stored;
            Publish("MODIFIED", key, stored, current);
            updated = stored.CloneObject();
        }

        Written?.Invoke(updated);
        return updated.CloneObject();
    }

    public JsonObject Remove(ObjectKey key, Func<Exception> notFound)
    {
        JsonObject removed;
        lock (_gate)
        {
            if (!_objects.Remove(key, out var current))
            {
                throw notFound();
            }

            _uids.Remove(current.Uid());
            // A delete is a write: the DELETED event carries the new revision.
            removed = Stamp(current);
            Publish("DELETED", key, removed, current);
        }

        Removed?.Invoke(removed.CloneObject());
        return removed.CloneObject();
    }

    /// <summary>
    /// Subscribes to a collection from <paramref name="fromRevision"/> (exclusive). Returns the retained events
    /// after it and the live subscription; null events when the revision is compacted (410 Gone).
    /// </summary>
    public (List<StoredEvent>? Backlog, WatchSubscription? Subscription, long Compacted) Watch(
        string group, string resource, string? ns, long fromRevision)
    {
        lock (_gate)
        {
            if (fromRevision < _compactedRevision)
            {
                return (null, null, _compactedRevision);
            }

            var backlog = _history
                .Where(e => e.Revision > fromRevision && e.Key.InCollection(group, resource, ns))
                .ToList();
            var subscription = new WatchSubscription(group, resource, ns, Unsubscribe);
            _subscriptions.Add(subscription);
            return (backlog, subscription, _compactedRevision);
        }
    }

    /// <summary>Subscribes from "now" and returns the current objects as the initial state of the watch.</summary>
    public (List<(ObjectKey Key, JsonObject Object)> Current, WatchSubscription Subscription, long Revision) WatchFromNow(
        string group, string resource, string? ns)
    {
        lock (_gate)
        {
            var (items, revision) = List(group, resource, ns);
            var subscription = new WatchSubscription(group, resource, ns, Unsubscribe);
            _subscriptions.Add(subscription);
            return (items, subscription, revision);
        }
    }

    /// <summary>Forgets all history: watches from any earlier revision now get 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedRevision = _revision;
        }
    }

    /// <summary>Ends every open watch stream, as an API server restart or a load balancer timeout would.</summary>
    /// <summary>Watch streams open now.</summary>
    public int OpenWatches
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    public int DropWatches()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Drop();
            }

            var count = _subscriptions.Count;
            _subscriptions.Clear();
            return count;
        }
    }

    /// <summary>Offers every open watch a BOOKMARK at the current revision (sent where the client allowed bookmarks).</summary>
    public void Bookmark()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Events.Writer.TryWrite(new StoredEvent(_revision, "BOOKMARK", default, [], null));
            }
        }
    }

    public int ActiveWatches
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    private JsonObject Stamp(JsonObject obj)
    {
        var stored = obj.CloneObject();
        stored.Metadata()["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return stored;
    }

    private void Publish(string type, ObjectKey key, JsonObject stored, JsonObject? previous)
    {
        var change = new StoredEvent(_revision, type, key, stored.CloneObject(), previous?.CloneObject());
        _history.AddLast(change);
        while (_history.Count > _historyLimit)
        {
            _compactedRevision = _history.First!.Value.Revision;
            _history.RemoveFirst();
        }

        foreach (var subscription in _subscriptions)
        {
            if (subscription.Matches(key))
            {
                subscription.Events.Writer.TryWrite(change);
            }
        }
    }

    private void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }
}
