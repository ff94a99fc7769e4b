using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>What push and pull print: plain lines off a terminal, progress bars on one, only the digest with --quiet.</summary>
public sealed class TransferOutputTests : IAsyncLifetime
{
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // Blobs transfer at once, so their lines come in the order they finish.
    private static string[] BlobLines(string text) => [.. Lines(text).Order(StringComparer.Ordinal)];

    private static string[] Sorted(params string[] lines) => [.. lines.Order(StringComparer.Ordinal)];

    private static async Task<StoredImage> AddAsync(ImageCli cli, string reference) =>
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(3000, seed: 51), RuntimeConfig.Create(["v0.2.1"], ["add_header"]));

    [Fact]
    public async Task Off_a_terminal_each_blob_is_one_plain_line_on_stderr_and_stdout_has_the_result()
    {
        using var cli = new ImageCli();
        var reference = $"{_registry.Host}/output/plain:v1";
        var stored = await AddAsync(cli, reference);
        var config = stored.Manifest.Config;
        var module = stored.Manifest.Layers[1];

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference));
        Assert.Equal(
            Sorted($"pushed {config.Digest[..19]} {config.Size} B ({config.MediaType})", $"pushed {module.Digest[..19]} 3 kB ({module.MediaType})"),
            BlobLines(cli.Error.Output));
        Assert.Equal([$"Pushed {reference}", $"Digest: {stored.ManifestDigest}", "Layout: wasme"], Lines(cli.Out.Output));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference));
        Assert.All(Lines(cli.Error.Output), line => Assert.StartsWith("exists sha256:", line, StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference));
        Assert.Equal(
            Sorted($"pulled {config.Digest[..19]} {config.Size} B ({config.MediaType})", $"pulled {module.Digest[..19]} 3 kB ({module.MediaType})"),
            BlobLines(cli.Error.Output));
        Assert.Equal($"Pulled {reference}", Lines(cli.Out.Output)[0]);
    }

    [Fact]
    public async Task Quiet_prints_only_the_digest()
    {
        using var cli = new ImageCli { Terminal = true };
        var reference = $"{_registry.Host}/output/quiet:v1";
        var stored = await AddAsync(cli, reference);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "--quiet"));
        Assert.Equal([stored.ManifestDigest.ToString()], Lines(cli.Out.Output));
        Assert.Equal(string.Empty, cli.Error.Output);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference, "-q"));
        Assert.Equal([stored.ManifestDigest.ToString()], Lines(cli.Out.Output));
        Assert.Equal(string.Empty, cli.Error.Output);
    }

    [Fact]
    public async Task On_a_terminal_each_blob_gets_a_progress_bar_that_ends_full()
    {
        using var cli = new ImageCli { Terminal = true };
        var reference = $"{_registry.Host}/output/bars:v1";
        var stored = await AddAsync(cli, reference);
        var module = stored.Manifest.Layers[1];

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference));
        Assert.Contains($"pushed {module.Digest[..19]} (vnd.module.wasm.content.layer.v1+wasm)", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("100%", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal($"Digest: {stored.ManifestDigest}", Lines(cli.Out.Output)[1]);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference));
        Assert.Contains($"pulled {module.Digest[..19]}", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("100%", cli.Error.Output, StringComparison.Ordinal);
    }
}
