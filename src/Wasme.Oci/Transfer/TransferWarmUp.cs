using Wasme.Oci.Manifests;
using Wasme.Oci.References;

namespace Wasme.Oci.Transfer;

/// <summary>
/// Prepares, on a thread of its own, what a pull or push needs from the runtime, while the caller's
/// thread reads the store and sends the first request. The first timer of a process (request and idle
/// timeouts) starts the timer thread, and the first work item the thread pool's worker and gate threads;
/// whoever starts a thread waits until it runs, about 2.5 ms on the command's thread before a 1 MiB
/// pull's first request (profile). A pull also loads the platform SHA-256 (for modules; documents are
/// hashed without it, see <see cref="Sha256"/>) and builds the JSON metadata of manifests and the
/// store's index. Each part once per process: an operator pulls on every reconcile.
/// </summary>
public static class TransferWarmUp
{
    private const int Runtime = 1;
    private const int PlatformSha256 = 2;
    private const int Json = 4;

    private static int s_started;

    /// <summary>Starts preparing a pull (returns at once). Call it as early as the command knows it will pull.</summary>
    public static void ForPull() => Start(Runtime | PlatformSha256 | Json);

    /// <summary>Starts preparing a push of a stored image (returns at once).</summary>
    public static void ForPush() => Start(Runtime);

    private static void Start(int parts)
    {
        var todo = parts & ~Interlocked.Or(ref s_started, parts);
        if (todo != 0)
        {
            new Thread(static state => Run((int)state!)) { IsBackground = true, Name = "wasme warm-up" }.UnsafeStart(todo);
        }
    }

    private static void Run(int parts)
    {
        try
        {
            if ((parts & Runtime) != 0)
            {
                using (var timer = new CancellationTokenSource())
                {
                    timer.CancelAfter(TimeSpan.FromDays(1));
                }

                ThreadPool.UnsafeQueueUserWorkItem(static _ => { }, null);
            }

            // One after the other on this thread, JSON first (the manifest needs it first): on a 2-core
            // machine each extra busy thread takes the core the registry answers on.
            if ((parts & Json) != 0)
            {
                OciDocuments.WarmUp();
            }

            if ((parts & PlatformSha256) != 0)
            {
                Sha256.LoadPlatform();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Only a head start: whatever failed here fails again, and is reported, where it is used.
        }
    }
}
