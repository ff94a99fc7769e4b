using Wasme.Cli.Tests.Images;
using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Signing;

/// <summary>
/// What generate-key-pair and sign --bundle leave when they fail or are killed part-way: the old files or the new ones,
/// never a torn file, nor a new private key beside the old public key.
/// </summary>
public sealed class InterruptedSigningTests : IAsyncLifetime
{
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task A_public_key_that_cannot_be_replaced_leaves_the_old_private_key_in_place()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "s3cret");
        var prefix = Path.Combine(cli.Home, "release");
        await File.WriteAllTextAsync(prefix + ".key", "old key\n");
        Directory.CreateDirectory(prefix + ".pub");

        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix, "--force"));

        // Replacing the key and then failing on the public key would lose the old key and leave no public key for the new one.
        Assert.Equal("old key\n", await File.ReadAllTextAsync(prefix + ".key"));
        Assert.Contains("release.pub: it is a directory", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bug", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(["release.key", "release.pub"], Directory.EnumerateFileSystemEntries(cli.Home, "release*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_run_killed_between_the_two_files_is_named_by_the_next_run_and_its_temp_files_are_removed()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", "s3cret");
        var prefix = Path.Combine(cli.Home, "cosign");
        // What a kill between the renames leaves: the new private key, no public key (the old one is removed first),
        // and the temp file of the public key, which holds the only copy of the key that matches.
        await File.WriteAllTextAsync(prefix + ".key", "new key\n");
        var leftover = Path.Combine(cli.Home, $".cosign.pub.{Guid.NewGuid():N}.tmp");
        await File.WriteAllTextAsync(leftover, "-----BEGIN PUBLIC KEY-----\n");

        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        Assert.Contains("cosign.key exists without", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("--force", cli.Error.Output, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix, "--force"));
        Assert.False(File.Exists(leftover));
        Assert.Equal(["cosign.key", "cosign.pub"], Directory.EnumerateFiles(cli.Home, "*cosign*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", await File.ReadAllTextAsync(prefix + ".pub"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_replaces_the_old_one_whole_and_a_directory_is_refused_before_signing()
    {
        using var cli = new ImageCli().WithEnvironment("COSIGN_PASSWORD", string.Empty);
        var prefix = Path.Combine(cli.Home, "cosign");
        Assert.Equal(0, await cli.RunAsync("generate-key-pair", "--output-key-prefix", prefix));
        var reference = $"{_registry.Host}/bundle/filter:v1";
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(400, 21), RuntimeConfig.Create(["v0.2.1"], ["add_header"]));
        Assert.Equal(0, await cli.RunAsync("push", reference));

        var directory = Path.Combine(cli.Home, "bundles");
        Directory.CreateDirectory(directory);
        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("sign", reference, "--key", prefix + ".key", "--bundle", directory));
        Assert.Contains("is a directory", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(6, await cli.RunAsync("verify", reference, "--key", prefix + ".pub"));

        // A killed sign leaves its temp file beside the bundle; the next sign replaces the bundle and removes it.
        var bundle = Path.Combine(directory, "filter.sigstore.json");
        await File.WriteAllTextAsync(bundle, "{\"old\":");
        var leftover = Path.Combine(directory, $".filter.sigstore.json.{Guid.NewGuid():N}.tmp");
        await File.WriteAllTextAsync(leftover, "{\"torn\":");
        Assert.Equal(0, await cli.RunAsync("sign", reference, "--key", prefix + ".key", "--bundle", bundle));
        Assert.Equal(["filter.sigstore.json"], Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
        using var written = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(bundle));
        Assert.True(written.RootElement.TryGetProperty("messageSignature", out _));
    }
}
