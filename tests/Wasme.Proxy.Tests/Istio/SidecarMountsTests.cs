using Wasme.Proxy.Istio;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Istio;

/// <summary><c>wasme run --mount</c>: a HostPath resource's sidecar paths read from this machine's directories.</summary>
public sealed class SidecarMountsTests
{
    private static SidecarMount Parse(string text)
    {
        Assert.True(SidecarMount.TryParse(text, out var mount, out var error), error);
        return mount!;
    }

    [Theory]
    [InlineData("/var/local/lib/wasme-cache/sha256/abc.wasm", "/tmp/node/sha256/abc.wasm")]
    [InlineData("/var/local/lib/wasme-cache//./sha256/abc.wasm", "/tmp/node/sha256/abc.wasm")]
    [InlineData("/var/local/lib/wasme-cache/nested/x.wasm", "/tmp/nested/x.wasm")]
    public void Maps_a_path_under_a_mount_with_the_deepest_mount_winning(string containerPath, string hostPath)
    {
        var mounts = new SidecarMounts([Parse("/tmp/node:/var/local/lib/wasme-cache/"), Parse("/tmp/nested:/var/local/lib/wasme-cache/nested")]);

        Assert.Equal(hostPath, mounts.TryMap(containerPath));
    }

    [Theory]
    [InlineData("/var/local/lib/wasme-cache/../../../etc/passwd")]
    [InlineData("/var/local/lib/wasme-cache-other/x.wasm")]
    [InlineData("relative/x.wasm")]
    public void A_path_outside_every_mount_is_not_mapped(string containerPath)
    {
        var mounts = new SidecarMounts([Parse("/tmp/node:/var/local/lib/wasme-cache")]);

        Assert.Null(mounts.TryMap(containerPath));
    }

    [Theory]
    [InlineData("/tmp/node", "HOST_DIR:CONTAINER_DIR")]
    [InlineData("/tmp/node:", "HOST_DIR:CONTAINER_DIR")]
    [InlineData("/tmp/node:var/lib", "must be an absolute path")]
    public void Refuses_a_malformed_mount(string text, string expected)
    {
        Assert.False(SidecarMount.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetcher_reads_host_path_code_through_the_mount_and_names_the_fix_outside_it()
    {
        var node = Directory.CreateTempSubdirectory("wasme-mount-");
        try
        {
            var module = new byte[] { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
            Directory.CreateDirectory(Path.Combine(node.FullName, "sha256"));
            await File.WriteAllBytesAsync(Path.Combine(node.FullName, "sha256", "abc.wasm"), module);
            using var client = new HttpClient();
            var fetcher = new WasmCodeFetcher(client, new Dictionary<string, Uri>(), null, WasmCodeFetcher.DefaultMaxModuleBytes,
                new SidecarMounts([Parse($"{node.FullName}:/var/local/lib/wasme-cache")]));
            WasmFilterDefinition Filter(string path) => new("hello", "add_header", "hello", string.Empty, new LocalWasmCode(path), FailurePolicy.FailClosed, "ef.yaml");

            Assert.Equal(module, await fetcher.FetchAsync(Filter("/var/local/lib/wasme-cache/sha256/abc.wasm"), CancellationToken.None));

            var outside = await Assert.ThrowsAsync<WasmCodeFetchException>(() => fetcher.FetchAsync(Filter("/etc/hostname"), CancellationToken.None));
            Assert.Equal(WasmCodeFailure.NotFound, outside.Failure);
            Assert.Contains("outside every --mount (/var/local/lib/wasme-cache)", outside.Message, StringComparison.Ordinal);
            Assert.Contains("--mount HOST_DIR:CONTAINER_DIR", outside.Message, StringComparison.Ordinal);

            var missing = await Assert.ThrowsAsync<WasmCodeFetchException>(() => fetcher.FetchAsync(Filter("/var/local/lib/wasme-cache/sha256/def.wasm"), CancellationToken.None));
            Assert.Contains($"(mounted at {Path.Combine(node.FullName, "sha256", "def.wasm")}) does not exist", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            node.Delete(recursive: true);
        }
    }
}
