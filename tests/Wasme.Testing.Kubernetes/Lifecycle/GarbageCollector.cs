using System.Text.Json.Nodes;
using System.Threading.Channels;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Lifecycle;

/// <summary>
/// kube-controller-manager's garbage collector and namespace controller, in one background loop:
/// deletes dependents whose owners are all gone (background), or that block a foreground deletion,
/// releases <c>foregroundDeletion</c> once no dependents remain, and empties terminating namespaces.
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private const string ForegroundDeletion = "foregroundDeletion";
    private readonly ObjectStore _store;
    private readonly ResourceService _service;
    private readonly Channel<TaskCompletionSource?> _requests = Channel.CreateUnbounded<TaskCompletionSource?>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public GarbageCollector(ObjectStore store, ResourceService service)
    {
        _store = store;
        _service = service;
        _store.Removed += _ => Trigger();
        _service.DeletionRequested += Trigger;
        _loop = Task.Run(RunAsync);
    }

    public void Trigger() => _requests.Writer.TryWrite(null);

    /// <summary>Completes once a full sweep that started after this call has finished: garbage present now is gone.</summary>
    public Task SettleAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Writer.TryWrite(done);
        return done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _stopping.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        await foreach (var request in _requests.Reader.ReadAllAsync(_stopping.Token))
        {
            var waiters = new List<TaskCompletionSource>();
            if (request is not null)
            {
                waiters.Add(request);
            }

            // Coalesce the burst of triggers a cascade produces.
            while (_requests.Reader.TryRead(out var more))
            {
                if (more is not null)
                {
                    waiters.Add(more);
                }
            }

            try
            {
                while (Sweep())
                {
                }
            }
#pragma warning disable CA1031 // A failed sweep must not stop the collector; the next trigger retries.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            foreach (var waiter in waiters)
            {
                waiter.TrySetResult();
            }
        }
    }

    /// <summary>One pass over every object; true when it changed something, so another pass may find more.</summary>
    private bool Sweep()
    {
        var changed = false;
        // Only objects with owners, and objects being deleted, can need the collector.
        var objects = _store.Select((_, obj) => obj["metadata"]?["ownerReferences"] is JsonArray || obj.IsBeingDeleted());
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, obj) in objects)
        {
            var owners = OwnerUids(obj);
            foreach (var uid in owners)
            {
                owned.Add(uid);
            }

            if (owners.Count == 0 || obj.IsBeingDeleted())
            {
                continue;
            }

            var liveOwners = owners.Select(_store.GetByUid).OfType<JsonObject>().ToList();
            var ownerInForeground = liveOwners.Any(o => o.IsBeingDeleted() && o.Finalizers().Contains(ForegroundDeletion));
            if (liveOwners.Count == 0 || ownerInForeground)
            {
                changed |= TryDelete(key, ownerInForeground ? "Foreground" : "Background");
            }
        }

        foreach (var (key, obj) in objects)
        {
            if (obj.IsBeingDeleted() && obj.Finalizers().Contains(ForegroundDeletion) && !owned.Contains(obj.Uid()) && _service.TypeOf(key) is { } type)
            {
                _service.RemoveFinalizer(type, obj, ForegroundDeletion);
                changed = true;
            }

            if (key.Resource == "namespaces" && key.Group.Length == 0 && obj.IsBeingDeleted())
            {
                changed |= EmptyNamespace(key, obj);
            }
        }

        return changed;
    }

    private bool EmptyNamespace(ObjectKey key, JsonObject ns)
    {
        var contents = _store.Select((itemKey, _) => itemKey.Namespace == key.Name);
        var changed = false;
        foreach (var (itemKey, item) in contents)
        {
            if (!item.IsBeingDeleted())
            {
                changed |= TryDelete(itemKey, "Background");
            }
        }

        if (!_service.HasNamespacedObjects(key.Name) && ns.Finalizers().Count == 0)
        {
            try
            {
                _store.Remove(key, () => ApiException.Internal("namespace vanished"));
                changed = true;
            }
            catch (ApiException)
            {
            }
        }

        return changed;
    }

    private bool TryDelete(ObjectKey key, string policy)
    {
        if (_service.TypeOf(key) is not { } type)
        {
            return false;
        }

        try
        {
            _service.Delete(type, key.Namespace, key.Name, new DeleteOptions { PropagationPolicy = policy });
            return true;
        }
        catch (ApiException)
        {
            return false;
        }
    }

    private static List<string> OwnerUids(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs
            ? refs.Select(r => r?["uid"]?.GetValue<string>()).OfType<string>().ToList()
            : [];
}
