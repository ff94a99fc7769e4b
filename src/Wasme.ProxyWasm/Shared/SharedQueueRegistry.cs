using System.Collections.Concurrent;

namespace Wasme.ProxyWasm.Shared;

/// <summary>
/// Host-wide named queues behind <c>proxy_register_shared_queue</c> and friends. A queue belongs to the VM that
/// registered it last; enqueueing notifies that VM's root context with <c>proxy_on_queue_ready</c>.
/// </summary>
internal sealed class SharedQueueRegistry
{
    private readonly Dictionary<(string VmId, string Name), int> _ids = [];
    private readonly Dictionary<int, Queue> _queues = [];
    private readonly Lock _gate = new();
    private int _nextId = 1;

    public int Register(string vmId, string name, IQueueOwner owner)
    {
        lock (_gate)
        {
            if (!_ids.TryGetValue((vmId, name), out var id))
            {
                id = _nextId++;
                _ids[(vmId, name)] = id;
                _queues[id] = new Queue();
            }

            _queues[id].Owner = owner;
            return id;
        }
    }

    public bool TryResolve(string vmId, string name, out int id)
    {
        lock (_gate)
        {
            return _ids.TryGetValue((vmId, name), out id);
        }
    }

    /// <summary>False when the queue is unknown; null when it holds <paramref name="maxBytes"/> already (nothing is enqueued).</summary>
    public bool? TryEnqueue(int id, byte[] value, long maxBytes)
    {
        var enqueued = TryEnqueueQuietly(id, value, out var owner, maxBytes);
        if (enqueued == true)
        {
            owner?.NotifyQueueReady(id);
        }

        return enqueued;
    }

    /// <summary>
    /// Enqueues without notifying; the caller notifies <paramref name="owner"/> (null when no VM owns the queue). False
    /// when the queue is unknown, null when its messages would pass <paramref name="maxBytes"/>.
    /// </summary>
    public bool? TryEnqueueQuietly(int id, byte[] value, out IQueueOwner? owner, long maxBytes = long.MaxValue)
    {
        Queue? queue;
        lock (_gate)
        {
            if (!_queues.TryGetValue(id, out queue))
            {
                owner = null;
                return false;
            }

            owner = queue.Owner;
            // A message nobody dequeues stays in host memory, outside every guest's memory cap.
            if (queue.Bytes + value.Length > maxBytes && value.Length > 0)
            {
                return null;
            }

            queue.Bytes += value.Length;
            queue.Items.Enqueue(value);
        }

        return true;
    }

    /// <summary>Returns null when the queue is unknown; an empty result as false with <paramref name="value"/> unset.</summary>
    public bool? TryDequeue(int id, out byte[] value)
    {
        Queue? queue;
        lock (_gate)
        {
            if (!_queues.TryGetValue(id, out queue))
            {
                value = [];
                return null;
            }
        }

        lock (_gate)
        {
            if (queue.Items.TryDequeue(out var item))
            {
                queue.Bytes -= item.Length;
                value = item;
                return true;
            }
        }

        value = [];
        return false;
    }

    /// <summary>Forgets the owner when its VM goes away, so no callback reaches a dead VM.</summary>
    public void Release(IQueueOwner owner)
    {
        lock (_gate)
        {
            foreach (var queue in _queues.Values)
            {
                if (ReferenceEquals(queue.Owner, owner))
                {
                    queue.Owner = null;
                }
            }
        }
    }

    private sealed class Queue
    {
        public ConcurrentQueue<byte[]> Items { get; } = new();

        public IQueueOwner? Owner { get; set; }

        /// <summary>Bytes of the messages waiting (under the registry's lock).</summary>
        public long Bytes { get; set; }
    }
}

/// <summary>The VM that receives <c>proxy_on_queue_ready</c> for a queue.</summary>
internal interface IQueueOwner
{
    /// <summary>Must not call into the VM synchronously: the enqueuer may hold another VM's lock.</summary>
    void NotifyQueueReady(int queueId);

    /// <summary>As <see cref="NotifyQueueReady"/>, completing once <c>proxy_on_queue_ready</c> has returned (for tools that wait on its effect).</summary>
    Task NotifyQueueReadyAsync(int queueId);
}
