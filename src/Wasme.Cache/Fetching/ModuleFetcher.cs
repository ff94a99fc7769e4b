using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wasme.Cache.Storage;

namespace Wasme.Cache.Fetching;

/// <summary>
/// Gets wanted modules into the directory, one registry fetch per digest however many callers ask at
/// once (single-flight), and never a fetch for a module already held.
/// </summary>
public sealed partial class ModuleFetcher
{
    private readonly ConcurrentDictionary<ModuleDigest, Lazy<Task<ModuleEntry>>> _inFlight = new();
    private readonly ModuleDirectory _directory;
    private readonly IModuleSource _source;
    private readonly CacheMetrics _metrics;
    private readonly long _maxModuleBytes;
    private readonly ILogger _logger;
    private readonly CancellationToken _lifetime;

    // lifetime ends in-flight fetches at shutdown. A fetch is shared, so one caller giving up does not cancel it for the others.
    public ModuleFetcher(
        ModuleDirectory directory,
        IModuleSource source,
        CacheMetrics metrics,
        long maxModuleBytes,
        ILogger<ModuleFetcher> logger,
        CancellationToken lifetime)
    {
        _directory = directory;
        _source = source;
        _metrics = metrics;
        _maxModuleBytes = maxModuleBytes;
        _logger = logger;
        _lifetime = lifetime;
    }

    /// <summary>Returns the held module, fetching it first if needed.</summary>
    public Task<ModuleEntry> EnsureAsync(WantedModule module, CancellationToken cancellationToken)
    {
        if (_directory.TryGet(module.Module, out var entry))
        {
            return Task.FromResult(entry);
        }

        var fetch = _inFlight.GetOrAdd(
            module.Module,
            _ => new Lazy<Task<ModuleEntry>>(() => FetchAsync(module), LazyThreadSafetyMode.ExecutionAndPublication));
        return fetch.Value.WaitAsync(cancellationToken);
    }

    /// <summary>The fetch in progress for this module, if any; lets HTTP requests wait for it instead of failing.</summary>
    public Task<ModuleEntry>? InFlight(ModuleDigest module) =>
        _inFlight.TryGetValue(module, out var fetch) ? fetch.Value : null;

    private async Task<ModuleEntry> FetchAsync(WantedModule module)
    {
        try
        {
            // Re-check under the single-flight slot: a fetch that finished just before us already stored it.
            if (_directory.TryGet(module.Module, out var existing))
            {
                return existing;
            }

            LogFetching(_logger, module.Module.Hex, module.Image);
            var entry = await _directory.StoreAsync(
                module.Module,
                _maxModuleBytes,
                (destination, ct) => _source.FetchAsync(module, destination, ct),
                _lifetime);
            _metrics.RecordFetch();
            LogFetched(_logger, module.Module.Hex, entry.Length);
            return entry;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_lifetime.IsCancellationRequested)
        {
            _metrics.RecordFetchFailure();
            LogFetchFailed(_logger, module.Module.Hex, module.Image, ex.Message);
            throw;
        }
        finally
        {
            _inFlight.TryRemove(module.Module, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetching module {Module} from {Image}")]
    private static partial void LogFetching(ILogger logger, string module, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored module {Module} ({Bytes} bytes)")]
    private static partial void LogFetched(ILogger logger, string module, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching module {Module} from {Image} failed: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string module, string image, string reason);
}
