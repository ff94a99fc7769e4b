using Wasme.Cache.Fetching;

namespace Wasme.Cache.Tests.Support;

/// <summary>
/// A module source for tests of the cache's own logic (single-flight, retries, eviction). Tests of the
/// registry path use a real docker-registry instead.
/// </summary>
internal sealed class FakeModuleSource : IModuleSource
{
    private readonly Dictionary<ModuleDigest, byte[]> _modules = [];
    private int _fetches;

    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>When set, each fetch waits for it before writing (to hold fetches in flight).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Per-module gates: a fetch of that module waits for its gate (one registry stalling, others answering).</summary>
    public Dictionary<ModuleDigest, TaskCompletionSource> Gates { get; } = [];

    /// <summary>Images whose fetches fail, as a registry refusing this node's pull secret would (other images still answer).</summary>
    public Dictionary<string, Exception> FailingImages { get; } = [];

    /// <summary>When set, fetches fail with this exception.</summary>
    public Exception? Failure { get; set; }

    /// <summary>When set, each fetch fails with a new exception from it (one whose message differs per attempt).</summary>
    public Func<Exception>? FailureEachTime { get; set; }

    public ModuleDigest Add(byte[] bytes)
    {
        var digest = TestModules.DigestOf(bytes);
        _modules[digest] = bytes;
        return digest;
    }

    public void Replace(ModuleDigest digest, byte[] bytes) => _modules[digest] = bytes;

    public async Task FetchAsync(WantedModule wanted, Stream destination, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Gates.TryGetValue(wanted.Module, out var moduleGate))
        {
            await moduleGate.Task.WaitAsync(cancellationToken);
        }

        if (FailingImages.TryGetValue(wanted.Image, out var imageFailure))
        {
            throw imageFailure;
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        if (FailureEachTime is { } failureEachTime)
        {
            throw failureEachTime();
        }

        await destination.WriteAsync(_modules[wanted.Module], cancellationToken);
    }
}
