using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wasme.Cache.Fetching;
using Wasme.Cache.Http;
using Wasme.Cache.Storage;

namespace Wasme.Cache.Tests.Support;

/// <summary>Wires a cache over a temp directory, a given source and a fake clock.</summary>
internal sealed class CacheHarness : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private readonly bool _ownsDirectory;

    public CacheHarness(IModuleSource source, CacheOptions? options = null, ICacheObserver? observer = null, TempDirectory? directory = null)
    {
        _ownsDirectory = directory is null;
        Temp = directory ?? new TempDirectory();
        Options = (options ?? new CacheOptions()) with { Directory = Temp.Path };
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
        Directory = new ModuleDirectory(Temp.Path, Clock);
        Metrics = new CacheMetrics();
        Fetcher = new ModuleFetcher(Directory, source, Metrics, Options.MaxModuleBytes, NullLogger<ModuleFetcher>.Instance, _lifetime.Token);
        Cache = new ModuleCache(Options, Directory, Fetcher, Metrics, observer ?? NullCacheObserver.Instance, Clock, NullLogger<ModuleCache>.Instance, () => 0.5);
        Services = new CacheServices(Options, Directory, Fetcher, Metrics, Clock);
    }

    public TempDirectory Temp { get; }
    public CacheOptions Options { get; }
    public FakeTimeProvider Clock { get; }
    public ModuleDirectory Directory { get; }
    public CacheMetrics Metrics { get; }
    public ModuleFetcher Fetcher { get; }
    public ModuleCache Cache { get; }
    public CacheServices Services { get; }

    public static WantedModule Want(ModuleDigest digest) =>
        new(digest, $"127.0.0.1:5000/filters/test@sha256:{new string('0', 64)}");

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
        Cache.Dispose();
        Directory.Dispose();
        if (_ownsDirectory)
        {
            Temp.Dispose();
        }
    }
}
