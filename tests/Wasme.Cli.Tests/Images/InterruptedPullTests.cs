using Wasme.Cli.Tests.Support;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>
/// Issue 15 points 6 and 8 with real wasme processes and real signals: a pull stalled mid-blob by a
/// scripted registry is interrupted (exit 130, its temp files gone) or killed (its temp files removed by
/// a later write, while a live pull's temp files are left alone).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InterruptedPullTests
{
    private const int SIGINT = 2;
    private const int SIGKILL = 9;
    private const int SIGTERM = 15;

    [Theory]
    [InlineData(SIGINT)]
    [InlineData(SIGTERM)]
    public async Task Ctrl_C_or_SIGTERM_during_a_pull_exits_130_saying_cancelled_and_leaves_no_temp_file(int signal)
    {
        await using var registry = await StallingRegistry.StartAsync();
        using var cli = new ImageCli();
        using var pull = WasmeProcess.Start(Environment(cli), "pull", $"{registry.Server.Host}/stalled/filter:v1");
        await registry.WaitUntilStalledAsync(TempFiles(cli.Store));

        await pull.SignalAsync(signal);
        var (exitCode, _, error) = await pull.WaitAsync();

        Assert.Equal(ExitCodes.Cancelled, exitCode);
        Assert.Contains("cancelled", error, StringComparison.Ordinal);
        Assert.Empty(TempFiles(cli.Store)());
    }

    [Fact]
    public async Task Temp_files_of_a_killed_pull_are_removed_by_the_next_write_but_a_live_pulls_are_not()
    {
        await using var registry = await StallingRegistry.StartAsync();
        using var cli = new ImageCli();
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/kept/filter:v1"), TestWasmModule.Create(seed: 3), RuntimeConfig.Create([], ["r"]));
        var temps = TempFiles(cli.Store);

        using (var killed = WasmeProcess.Start(Environment(cli), "pull", $"{registry.Server.Host}/killed/filter:v1"))
        {
            await registry.WaitUntilStalledAsync(temps);
            await killed.SignalAsync(SIGKILL);
            await killed.WaitAsync();
        }

        var abandoned = temps();
        Assert.NotEmpty(abandoned);
        using var live = WasmeProcess.Start(Environment(cli), "pull", $"{registry.Server.Host}/live/filter:v1");
        await registry.WaitUntilStalledAsync(() => temps().Except(abandoned).ToList(), pulls: 2);
        var liveTemps = temps().Except(abandoned).ToList();

        // Both look long abandoned by their age; only the lock tells them apart.
        foreach (var temp in temps())
        {
            File.SetLastWriteTimeUtc(temp, DateTime.UtcNow - TimeSpan.FromHours(1));
        }

        var tag = await WasmeProcess.RunAsync(Environment(cli), "tag", "example.com/kept/filter:v1", "example.com/kept/filter:v2");

        Assert.Equal(0, tag.ExitCode);
        Assert.Equal(liveTemps.Order(StringComparer.Ordinal), temps().Order(StringComparer.Ordinal));
        await live.SignalAsync(SIGINT);
        Assert.Equal(ExitCodes.Cancelled, (await live.WaitAsync()).ExitCode);
        Assert.Empty(temps());
    }

    private static Dictionary<string, string> Environment(ImageCli cli) =>
        new() { ["HOME"] = cli.Home, ["WASME_STORE"] = cli.Store, ["DOCKER_CONFIG"] = Path.Combine(cli.Home, ".docker") };

    private static Func<IReadOnlyList<string>> TempFiles(string store) => () =>
        Directory.Exists(store) ? [.. Directory.EnumerateFiles(store, ".tmp-*", SearchOption.AllDirectories)] : [];

    /// <summary>Serves an image whose module blob stops halfway and never finishes.</summary>
    private sealed class StallingRegistry : IAsyncDisposable
    {
        private readonly PackedImage _image;
        private int _stalled;

        private StallingRegistry(PackedImage image) => _image = image;

        public ScriptedRegistry Server { get; private set; } = null!;

        public static async Task<StallingRegistry> StartAsync()
        {
            var image = ImagePacker.Pack(TestWasmModule.Create(256 * 1024, seed: 9), RuntimeConfig.Create([], ["r"]), WasmImageFormat.Wasme);
            var registry = new StallingRegistry(image);
            registry.Server = await ScriptedRegistry.ServingImageAsync(image, async (context, blob) =>
            {
                if (blob.Length < 64 * 1024)
                {
                    await context.Response.Body.WriteAsync(blob);
                    return;
                }

                context.Response.ContentLength = blob.Length;
                await context.Response.Body.WriteAsync(blob[..(blob.Length / 2)]);
                await context.Response.Body.FlushAsync();
                Interlocked.Increment(ref registry._stalled);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
            return registry;
        }

        /// <summary>Until <paramref name="pulls"/> pulls have received half the module and the temp files (module, config, manifest) exist.</summary>
        public async Task WaitUntilStalledAsync(Func<IReadOnlyList<string>> temps, int pulls = 1)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (Volatile.Read(ref _stalled) < pulls || temps().Count < 3)
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
