using Microsoft.Extensions.Logging;
using Wasme.Cache.Fetching;
using Wasme.Cache.Http;
using Wasme.Cache.Storage;

namespace Wasme.Cache.Hosting;

/// <summary>
/// The node cache daemon: HTTP server first (so liveness passes during a long scan), then the
/// start-up scan, then readiness, the sync loop and the feed of wanted modules.
/// </summary>
public sealed partial class CacheDaemon : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping;
    private readonly CacheHttpServer _server;
    private readonly Task _running;
    private readonly ILogger _logger;

    private CacheDaemon(CancellationTokenSource stopping, CacheHttpServer server, CacheServices services, ModuleCache cache, Task running, ILogger logger)
    {
        _stopping = stopping;
        _server = server;
        Services = services;
        Cache = cache;
        _running = running;
        _logger = logger;
    }

    /// <summary>The bound HTTP address.</summary>
    public Uri Address => _server.Address;

    public CacheServices Services { get; }

    public ModuleCache Cache { get; }

    /// <summary>Completes when the daemon stops; faults if the sync loop or feed failed for good.</summary>
    public Task Completion => _running;

    /// <summary>Validates options and starts everything; returns once the scan is done and the daemon is ready.</summary>
    public static async Task<CacheDaemon> StartAsync(
        CacheOptions options,
        IModuleSource source,
        IWantedModulesFeed feed,
        ICacheObserver observer,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new CacheOptionsException(problems);
        }

        var logger = loggerFactory.CreateLogger<CacheDaemon>();
        var stopping = new CancellationTokenSource();
        var directory = new ModuleDirectory(options.Directory, timeProvider);
        var metrics = new CacheMetrics();
        var fetcher = new ModuleFetcher(directory, source, metrics, options.MaxModuleBytes, loggerFactory.CreateLogger<ModuleFetcher>(), stopping.Token);
        var cache = new ModuleCache(options, directory, fetcher, metrics, observer, timeProvider, loggerFactory.CreateLogger<ModuleCache>());
        var services = new CacheServices(options, directory, fetcher, metrics, timeProvider);
        CacheHttpServer? server = null;
        try
        {
            server = await CacheHttpServer.StartAsync(services, loggerFactory, cancellationToken);
            LogListening(logger, server.Address, directory.Path);
            var report = await directory.ScanAsync(cancellationToken);
            LogScanned(logger, report.Kept, report.RemovedTempFiles.Count, report.RemovedCorruptFiles.Count);
            services.MarkReady();
            var running = RunAsync(cache, feed, logger, stopping.Token);
            return new CacheDaemon(stopping, server, services, cache, running, logger);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            cache.Dispose();
            directory.Dispose();
            stopping.Dispose();
            throw;
        }
    }

    private static async Task RunAsync(ModuleCache cache, IWantedModulesFeed feed, ILogger logger, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var loop = cache.RunAsync(cancellationToken);
        var watch = feed.RunAsync(cache, cancellationToken);
        try
        {
            await Task.WhenAll(loop, watch);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogStopped(logger, ex);
            throw;
        }
    }

    /// <summary>Stops the loops, lets in-flight HTTP responses finish, and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _running;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Already logged by RunAsync.
        }
        catch (OperationCanceledException)
        {
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _server.StopAsync(grace.Token);
        await _server.DisposeAsync();
        Cache.Dispose();
        Services.Directory.Dispose();
        _stopping.Dispose();
        LogShutdown(_logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache listening on {Address}, module directory {Directory}")]
    private static partial void LogListening(ILogger logger, Uri address, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scanned module directory: {Kept} modules kept, {RemovedTemp} temp files and {RemovedCorrupt} corrupt modules removed")]
    private static partial void LogScanned(ILogger logger, int kept, int removedTemp, int removedCorrupt);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Cache stopped on an unrecoverable error")]
    private static partial void LogStopped(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache stopped")]
    private static partial void LogShutdown(ILogger logger);
}
