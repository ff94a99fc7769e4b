using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.E2E.Tests;

/// <summary>
/// Issue 7's cache fault "the daemon killed and restarted": a real <c>wasme cache</c> process is SIGKILLed while a
/// pull is in flight, and a new one on the same directory finds it consistent, serves what was held and completes
/// the interrupted pull.
/// </summary>
[SupportedOSPlatform("linux")] // SIGKILL and the read-only file modes the cache sets are Unix notions.
public sealed class CacheDaemonCrashTests
{
    [Fact]
    public async Task Killed_mid_pull_the_restarted_daemon_serves_held_modules_and_leaves_no_partial_files()
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
        var held = await PushAsync(registry.Host, "crash/held", 10_000, seed: 1);
        var interrupted = await PushAsync(registry.Host, "crash/interrupted", 300_000, seed: 2);
        await using var proxy = await StallingRegistryProxy.StartAsync(registry.Host, interrupted.BlobPath);
        var directory = Directory.CreateTempSubdirectory("wasme-cache-crash-");
        try
        {
            string[] Arguments() =>
            [
                "cache", "--directory", directory.FullName, "--listen", "http://127.0.0.1:0",
                "--module", $"{held.Sha256}={held.Image(registry.Host)}",
                "--module", $"{interrupted.Sha256}={interrupted.Image(proxy.Host)}",
            ];

            var first = WasmeProcess.Start("wasme cache (first)", null, Arguments());
            await using (first)
            {
                var firstPort = (await first.WaitForBoundAsync(WasmeProcess.CacheListening, TimeSpan.FromSeconds(60))).Port;
                await WaitForAsync(first, () => Task.FromResult(proxy.Stalled > 0 && TempFiles(directory).Length > 0), "the pull of the second module to be under way");
                await WaitForAsync(first, async () => await ServedAsync(firstPort, held) is not null, "the first module to be served");

                first.Kill(); // SIGKILL: no shutdown code runs.
            }

            // What the kill left: the held module and the temp file of the pull it interrupted.
            Assert.Contains(held.Sha256, ModuleFiles(directory));
            Assert.NotEmpty(TempFiles(directory));

            proxy.Stall = false;
            await using var second = WasmeProcess.Start("wasme cache (restarted)", null, Arguments());
            var secondPort = (await second.WaitForBoundAsync(WasmeProcess.CacheListening, TimeSpan.FromSeconds(60))).Port;
            // As the kubelet does: traffic only once /readyz says the start-up scan is done.
            await WaitForAsync(second, () => ReadyAsync(secondPort), "/readyz");

            Assert.Equal(held.Bytes, await ServedAsync(secondPort, held));
            await WaitForAsync(second, async () => await ServedAsync(secondPort, interrupted) is not null, "the interrupted module to be pulled again");
            Assert.Equal(interrupted.Bytes, await ServedAsync(secondPort, interrupted));
            Assert.Equal(new[] { held.Sha256, interrupted.Sha256 }.Order(StringComparer.Ordinal), ModuleFiles(directory).Order(StringComparer.Ordinal));
            Assert.Empty(TempFiles(directory));
            Assert.All(Directory.GetFiles(directory.FullName), file =>
                Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(file) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)));
            Assert.Contains("1 modules kept", second.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var file in Directory.GetFiles(directory.FullName))
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            directory.Delete(recursive: true);
        }
    }

    private static string[] ModuleFiles(DirectoryInfo directory) =>
        [.. directory.GetFiles().Select(f => f.Name).Where(n => !n.StartsWith('.'))];

    private static string[] TempFiles(DirectoryInfo directory) =>
        [.. directory.GetFiles().Select(f => f.Name).Where(n => n.StartsWith('.'))];

    private static async Task<bool> ReadyAsync(int port)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
        return response.IsSuccessStatusCode;
    }

    private static async Task<byte[]?> ServedAsync(int port, Pushed module)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/sha256/{module.Sha256}"));
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsByteArrayAsync() : null;
    }

    private static async Task WaitForAsync(WasmeProcess process, Func<Task<bool>> condition, string what)
    {
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            if (await condition())
            {
                return;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited while waiting for {what}:\n{process.Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"gave up waiting for {what}:\n{process.Output}");
    }

    private static async Task<Pushed> PushAsync(string registryHost, string repository, int size, byte seed)
    {
        var bytes = TestWasmModule.Create(size, seed);
        var packed = ImagePacker.Pack(bytes, RuntimeConfig.Create(["0_2_1"], ["add_header"]), WasmImageFormat.Wasme);
        using var client = new RegistryClient(new RegistryClientOptions { PlainHttp = true }, AnonymousCredentialProvider.Instance);
        await new ImagePusher(client).PushAsync(packed, ImageReference.Parse($"{registryHost}/{repository}:v1"));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new Pushed(bytes, sha256, repository, packed.ManifestDigest.ToString());
    }

    private sealed record Pushed(byte[] Bytes, string Sha256, string Repository, string ManifestDigest)
    {
        public string BlobPath => $"/v2/{Repository}/blobs/sha256:{Sha256}";

        public string Image(string host) => $"{host}/{Repository}@{ManifestDigest}";
    }
}
