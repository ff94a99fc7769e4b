using Wasme.ProxyWasm.Shared;

namespace Wasme.ProxyWasm;

/// <summary>Shared queues from outside the VMs: for tools (<c>wasme test</c>) that deliver messages and read what filters sent.</summary>
public sealed partial class ProxyWasmRuntime
{
    /// <summary>
    /// Enqueues <paramref name="message"/> to the queue <paramref name="name"/> that a VM with <paramref name="vmId"/>
    /// registered, as another VM's <c>proxy_enqueue_shared_queue</c> would. Completes once the owner's
    /// <c>proxy_on_queue_ready</c> has returned; false when no such queue is registered.
    /// </summary>
    public async Task<bool> EnqueueSharedQueueAsync(string vmId, string name, byte[] message)
    {
        ArgumentNullException.ThrowIfNull(vmId);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(message);
        if (!Shared.Queues.TryResolve(vmId, name, out var id) || Shared.Queues.TryEnqueueQuietly(id, message, out var owner) != true)
        {
            return false;
        }

        if (owner is not null)
        {
            await owner.NotifyQueueReadyAsync(id).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Registers a queue no VM reads, so filters can resolve it and enqueue to it (standing in for a consumer elsewhere);
    /// read what they sent with <see cref="DrainSharedQueue"/>. A VM registering the same name later takes it over.
    /// </summary>
    public void RegisterSharedQueue(string vmId, string name)
    {
        ArgumentNullException.ThrowIfNull(vmId);
        ArgumentNullException.ThrowIfNull(name);
        Shared.Queues.Register(vmId, name, NoOwner.Instance);
    }

    /// <summary>Dequeues every message waiting in a queue (in order); empty when the queue is unknown or empty.</summary>
    public IReadOnlyList<byte[]> DrainSharedQueue(string vmId, string name)
    {
        var messages = new List<byte[]>();
        if (Shared.Queues.TryResolve(vmId, name, out var id))
        {
            while (Shared.Queues.TryDequeue(id, out var message) == true)
            {
                messages.Add(message);
            }
        }

        return messages;
    }

    private sealed class NoOwner : IQueueOwner
    {
        public static readonly NoOwner Instance = new();

        public void NotifyQueueReady(int queueId)
        {
        }

        public Task NotifyQueueReadyAsync(int queueId) => Task.CompletedTask;
    }
}
