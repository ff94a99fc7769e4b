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
/// releases <c>foregroundDeletion</c> once no dependents remain, and empties terminating namespaces (with their status
/// conditions, <see cref="NamespaceConditions"/>); apiextensions-apiserver's <see cref="CrdFinalizer"/> runs in the same loop.
/// An owner reference names its owner as the collector looks it up (its isDangling): the kind's resource, the
/// dependent's own namespace when that kind is namespaced, the name, and then the uid. A reference that finds no object
/// that way (an owner in another namespace, a wrong kind or name, a uid of an earlier object) counts as an absent
/// owner, even while an object with that uid lives; a kind the server does not serve keeps the dependent, as the
/// collector's lookup then fails and it retries.
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private const string ForegroundDeletion = "foregroundDeletion";
    private readonly ObjectStore _store;
    private readonly ResourceService _service;
    private readonly CrdFinalizer _crdFinalizer;
    private readonly Channel<TaskCompletionSource?> _requests = Channel.CreateUnbounded<TaskCompletionSource?>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public GarbageCollector(ObjectStore store, ResourceService service)
    {
        _store = store;
        _service = service;
        _crdFinalizer = new CrdFinalizer(store, service);
        _store.Removed += _ => Trigger();
        // A new or changed reference may name an owner that is absent already: the collector sees the dependent's event.
        _store.Written += written =>
        {
            if (written["metadata"]?["ownerReferences"] is JsonArray)
            {
                Trigger();
            }
        };
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

            var (liveOwners, unresolved) = Owners(key, obj);
            var ownerInForeground = liveOwners.Any(o => o.IsBeingDeleted() && o.Finalizers().Contains(ForegroundDeletion));
            if ((liveOwners.Count == 0 && !unresolved) || ownerInForeground)
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

            if (key.Resource == "customresourcedefinitions" && key.Group == "apiextensions.k8s.io")
            {
                changed |= _crdFinalizer.Sync(key, obj);
            }
        }

        return changed;
    }

    private bool EmptyNamespace(ObjectKey key, JsonObject ns)
    {
        var changed = false;
        foreach (var (itemKey, item) in _store.Select((itemKey, _) => itemKey.Namespace == key.Name))
        {
            if (!item.IsBeingDeleted())
            {
                changed |= TryDelete(itemKey, "Background");
            }
        }

        // What is left now is held by finalizers: the namespace's conditions say which.
        var remaining = _store.Select((itemKey, _) => itemKey.Namespace == key.Name);
        if (_service.TypeOf(key) is { } namespaceType)
        {
            changed |= _service.WriteStatusAsController(namespaceType, ns, "kube-controller-manager", current =>
            {
                var status = current["status"] as JsonObject ?? [];
                current["status"] = status;
                NamespaceConditions.Update(status, remaining, _service.Now());
            });
        }

        return remaining.Count == 0 ? _service.FinalizeNamespace(key.Name) | changed : changed;
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

    /// <summary>The owners a dependent's references find; unresolved when a reference names a kind the server does not serve.</summary>
    private (List<JsonObject> Live, bool Unresolved) Owners(ObjectKey dependent, JsonObject obj)
    {
        var live = new List<JsonObject>();
        var unresolved = false;
        foreach (var reference in obj["metadata"]?["ownerReferences"] as JsonArray ?? [])
        {
            var apiVersion = reference?["apiVersion"]?.GetValue<string>() ?? "";
            var kind = reference?["kind"]?.GetValue<string>() ?? "";
            if (_service.Registry.FindByKind(apiVersion, kind) is not { } type)
            {
                unresolved = true;
                continue;
            }

            var ownerKey = new ObjectKey(type.Group, type.Plural, type.Namespaced ? dependent.Namespace : "", reference?["name"]?.GetValue<string>() ?? "");
            if (_store.Get(ownerKey) is { } owner && owner.Uid() == reference?["uid"]?.GetValue<string>())
            {
                live.Add(owner);
            }
        }

        return (live, unresolved);
    }

    private static List<string> OwnerUids(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs
            ? refs.Select(r => r?["uid"]?.GetValue<string>()).OfType<string>().ToList()
            : [];
}
