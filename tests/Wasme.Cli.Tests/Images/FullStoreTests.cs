using Wasme.Cli.Tests.Support;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>
/// The file system refusing to write the store mid-command (a full disk; here a file size limit, which fails the
/// write the same way without needing a small file system): exit 1 naming the store, the download not retried,
/// and the store as it was.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FullStoreTests
{
    private const int LimitKiB = 512;
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["root"]);

    [Fact]
    public async Task A_pull_the_file_system_cannot_hold_exits_1_naming_the_store_downloads_once_and_stores_nothing()
    {
        var image = ImagePacker.Pack(TestWasmModule.Create(2 * 1024 * 1024, seed: 61), Config, WasmImageFormat.Wasme);
        var moduleGets = 0;
        await using var registry = await ScriptedRegistry.ServingImageAsync(image, async (context, blob) =>
        {
            if (blob.Length > LimitKiB * 1024)
            {
                Interlocked.Increment(ref moduleGets);
            }

            await context.Response.Body.WriteAsync(blob);
        });
        using var cli = new ImageCli();
        var before = await KeptImageAsync(cli);

        var (exitCode, _, error) = await WasmeProcess.RunWithFileSizeLimitAsync(Environment(cli), LimitKiB, "pull", $"{registry.Host}/team/filter:v1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains($"Cannot use the local store {cli.Store}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("connection", error, StringComparison.Ordinal);
        Assert.Equal(1, moduleGets);
        Assert.Equal(before, Snapshot(cli.Store));
    }

    [Fact]
    public async Task A_build_the_file_system_cannot_hold_exits_1_naming_the_store_not_as_a_bug_and_stores_nothing()
    {
        using var cli = new ImageCli();
        var before = await KeptImageAsync(cli);
        var module = Path.Combine(cli.Home, "big.wasm");
        await File.WriteAllBytesAsync(module, TestWasmModule.Create(2 * 1024 * 1024, seed: 62));
        var config = Path.Combine(cli.Home, "runtime-config.json");
        await File.WriteAllBytesAsync(config, Config.ToJsonBytes());

        var (exitCode, _, error) = await WasmeProcess.RunWithFileSizeLimitAsync(Environment(cli), LimitKiB, "build", "precompiled", module, "-t", "example.com/team/big:v1", "--config", config);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains($"Cannot use the local store {cli.Store}", error, StringComparison.Ordinal);
        Assert.Contains("ulimit -f", error, StringComparison.Ordinal);
        Assert.DoesNotContain("bug", error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(cli.Store));
    }

    /// <summary>An image already in the store, which the failed command must leave as it was; returns the store's files.</summary>
    private static async Task<Dictionary<string, string>> KeptImageAsync(ImageCli cli)
    {
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/kept/filter:v1"), TestWasmModule.Create(seed: 63), Config);
        return Snapshot(cli.Store);
    }

    /// <summary>Every file of the store (temp files included) with its hash.</summary>
    private static Dictionary<string, string> Snapshot(string store) =>
        Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".wasme.lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(store, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    private static Dictionary<string, string> Environment(ImageCli cli) =>
        new() { ["HOME"] = cli.Home, ["WASME_STORE"] = cli.Store, ["DOCKER_CONFIG"] = Path.Combine(cli.Home, ".docker") };
}
