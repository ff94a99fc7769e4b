using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// The real <c>wasme run</c> command tree, invoked in-process on loopback port 0 and stopped as Ctrl+C would stop it.
/// <see cref="StartAsync"/> returns once the proxy has printed the port it bound, or with the exit code if it gave up.
/// </summary>
internal sealed class RunningWasme : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _run;
    private readonly bool _ownsCache;

    private RunningWasme(string[] args, string? cacheHome)
    {
        // Compiled modules go to a cache of the test's own, never the user's ~/.cache.
        _ownsCache = cacheHome is null;
        CacheHome = cacheHome ?? Directory.CreateTempSubdirectory("wasme-run-cache-").FullName;
        var context = new CliContext
        {
            Out = Out,
            Error = Error,
            GetEnvironmentVariable = name => name == "XDG_CACHE_HOME" ? CacheHome : Environment.GetEnvironmentVariable(name),
            TimeProvider = TimeProvider.System,
            IsInteractive = false,
        };
        _run = Task.Run(() => WasmeApplication.RunAsync(context, ["run", "--listen", "127.0.0.1:0", .. args], _stop.Token));
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
    }

    /// <summary>The port the proxy bound; 0 when it stopped before binding.</summary>
    public int Port { get; private set; }

    /// <summary>XDG_CACHE_HOME as the command sees it: the compiled-module cache is under wasme/compiled.</summary>
    public string CacheHome { get; }

    public TestConsole Out { get; } = new TestConsole().Width(400);

    public TestConsole Error { get; } = new TestConsole().Width(400);

    public HttpClient Client { get; }

    /// <summary>Null while serving; the exit code once the command has returned.</summary>
    public int? ExitCode => _run.IsCompleted ? _run.Result : null;

    public static Task<RunningWasme> StartAsync(params string[] args) => StartWithCacheAsync(null, args);

    /// <summary>Starts with <paramref name="cacheHome"/> as XDG_CACHE_HOME (null: a fresh one), to share compiled modules between runs.</summary>
    public static async Task<RunningWasme> StartWithCacheAsync(string? cacheHome, params string[] args)
    {
        var running = new RunningWasme(args, cacheHome);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        // The banner (bound address, filters, VMs, cache use) is printed once every port is bound, ending with this line.
        while (!running._run.IsCompleted && !running.Out.Output.Contains("Press Ctrl+C", StringComparison.Ordinal) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.WhenAny(running._run, Task.Delay(20));
        }

        if (ListeningBanner.Listen(running.Out.Output) is { } bound)
        {
            running.Port = bound.Port;
            running.Client.BaseAddress = new Uri($"http://{bound}");
            return running;
        }

        if (!running._run.IsCompleted)
        {
            await running.DisposeAsync();
            throw new TimeoutException($"wasme run did not listen within 60 s: {running.Error.Output}");
        }

        return running;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        Client.Dispose();
        _stop.Dispose();
        if (_ownsCache)
        {
            Directory.Delete(CacheHome, recursive: true);
        }
    }
}
