using System.Text.Json;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>
/// Issue 2's Safety and registry-client points through the real CLI against real docker-registry
/// processes: each failure class exits with its own code and leaves the store as it was.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ImageSafetyTests
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    private static async Task<StoredImage> AddAsync(ImageCli cli, string reference, byte[] module, WasmImageFormat format = WasmImageFormat.Wasme) =>
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), module, Config, format);

    /// <summary>Every file of the store with its hash, to prove a failed command changed nothing.</summary>
    private static Dictionary<string, string> Snapshot(string store) =>
        Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".wasme.lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(store, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public async Task Tag_and_rmi_work_on_compat_images()
    {
        using var cli = new ImageCli();
        var module = TestWasmModule.Create(2000, seed: 31);
        await AddAsync(cli, "example.com/team/compat:v1", module, WasmImageFormat.Compat);

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("tag", "example.com/team/compat:v1", "other.example.com/compat:prod"));
        Assert.Contains("Tagged other.example.com/compat:prod", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", "example.com/team/compat:v1"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("list", "-o", "json"));

        using var list = JsonDocument.Parse(cli.Out.Output);
        var only = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal("other.example.com/compat", only.GetProperty("name").GetString());
        Assert.Equal("compat", only.GetProperty("layout").GetString());
        var store = new LocalImageStore(cli.Store);
        Assert.Equal(module, await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse("other.example.com/compat:prod"))));
    }

    [Fact]
    public async Task A_blob_tampered_with_in_the_registrys_storage_is_an_integrity_failure_and_the_store_is_unchanged()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        var reference = $"{registry.Host}/tampered/filter:v1";
        var stored = await AddAsync(cli, reference, TestWasmModule.Create(4000, seed: 32));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        await AddAsync(cli, "example.com/kept/filter:v1", TestWasmModule.Create(seed: 33));
        var before = Snapshot(cli.Store);

        // Same length, one bit flipped: only the digest check can notice.
        var blob = registry.BlobDataPath(ImageReader.ModuleLayer(stored.Manifest, stored.Layout).GetDigest().Hex);
        var bytes = await File.ReadAllBytesAsync(blob);
        bytes[bytes.Length / 2] ^= 1;
        await File.WriteAllBytesAsync(blob, bytes);

        Assert.Equal(ExitCodes.IntegrityFailure, await cli.RunAsync("pull", reference));
        Assert.Contains("does not match its digest", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(cli.Store));
    }

    [Fact]
    public async Task Pushing_a_module_corrupted_in_the_local_store_is_an_integrity_failure_and_publishes_nothing()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        var reference = $"{registry.Host}/corrupt/filter:v1";
        var stored = await AddAsync(cli, reference, TestWasmModule.Create(4000, seed: 30));
        var blob = new LocalImageStore(cli.Store).BlobPath(ImageReader.ModuleLayer(stored.Manifest, stored.Layout).GetDigest());
        var bytes = await File.ReadAllBytesAsync(blob);
        bytes[bytes.Length / 2] ^= 1;
        await File.WriteAllBytesAsync(blob, bytes);

        Assert.Equal(ExitCodes.IntegrityFailure, await cli.RunAsync("push", reference));

        Assert.True(cli.Error.Output.Contains("local store may be corrupt", StringComparison.Ordinal), cli.Error.Output);
        using var other = new ImageCli();
        Assert.Equal(ExitCodes.NotFound, await other.RunAsync("pull", reference));
    }

    [Fact]
    public async Task A_compat_layer_that_expands_past_max_module_size_is_an_integrity_failure()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        var reference = $"{registry.Host}/expands/filter:v1";
        var module = TestWasmModule.CreateCompressible(2 * 1024 * 1024);
        var stored = await AddAsync(cli, reference, module, WasmImageFormat.Compat);
        Assert.True(ImageReader.ModuleLayer(stored.Manifest, stored.Layout).Size < 64 * 1024, "the gzip layer is small; only its output is large");
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "-q"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));

        Assert.Equal(ExitCodes.IntegrityFailure, await cli.RunAsync("pull", reference, "--max-module-size", "1048576"));
        Assert.True(cli.Error.Output.Contains("more than the limit of 1048576 bytes", StringComparison.Ordinal), cli.Error.Output);
        Assert.Empty(await new LocalImageStore(cli.Store).ListAsync());

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference));
        var store = new LocalImageStore(cli.Store);
        Assert.Equal(module, await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(reference))));
    }

    [Fact]
    public async Task A_download_whose_connection_keeps_breaking_is_a_network_failure_and_the_store_is_unchanged()
    {
        var image = ImagePacker.Pack(TestWasmModule.Create(64 * 1024, seed: 34), Config, WasmImageFormat.Wasme);
        await using var breaking = TruncatingRegistry.Start(image);
        using var cli = new ImageCli();
        await AddAsync(cli, "example.com/kept/filter:v1", TestWasmModule.Create(seed: 35));
        var before = Snapshot(cli.Store);

        Assert.Equal(ExitCodes.NetworkFailure, await cli.RunAsync("pull", $"{breaking.Host}/broken/filter:v1"));

        Assert.True(cli.Error.Output.Contains("kept breaking", StringComparison.Ordinal), cli.Error.Output);
        Assert.Equal(before, Snapshot(cli.Store));
        Assert.Equal(4, breaking.ModuleRequests);
    }

    [Fact]
    public async Task Pushing_a_tag_in_another_repository_of_the_same_registry_mounts_the_blobs()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        var source = $"{registry.Host}/mount/source:v1";
        var target = $"{registry.Host}/mount/target:v1";
        var module = TestWasmModule.Create(5000, seed: 36);
        await AddAsync(cli, source, module);
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", source));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("tag", source, target));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", target));

        var lines = cli.Error.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l.StartsWith("mounted sha256:", StringComparison.Ordinal)));
        using var other = new ImageCli();
        Assert.Equal(ExitCodes.Success, await other.RunAsync("pull", target));
        var store = new LocalImageStore(other.Store);
        Assert.Equal(module, await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(target))));
    }

    [Theory]
    [InlineData("credsStore")]
    [InlineData("credHelpers")]
    public async Task A_docker_credential_helper_on_PATH_supplies_the_credentials(string configKey)
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Htpasswd);
        using var cli = new ImageCli();
        var bin = Directory.CreateDirectory(Path.Combine(cli.Home, "bin")).FullName;
        var calls = Path.Combine(cli.Home, "helper-calls");
        var helper = Path.Combine(bin, "docker-credential-wasmetest");
        await File.WriteAllTextAsync(helper, $$"""
            #!/bin/sh
            read server
            echo "$1 $server" >> {{calls}}
            if [ "$1" = get ] && [ "$server" = "{{registry.Host}}" ]; then
              printf '{"ServerURL":"%s","Username":"{{DockerRegistryProcess.User}}","Secret":"{{DockerRegistryProcess.Password}}"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi

            """);
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var docker = Directory.CreateDirectory(Path.Combine(cli.Home, ".docker")).FullName;
        var config = configKey == "credsStore"
            ? """{"credsStore":"wasmetest"}"""
            : "{\"credHelpers\":{\"" + registry.Host + "\":\"wasmetest\"}}";
        await File.WriteAllTextAsync(Path.Combine(docker, "config.json"), config);
        var reference = $"{registry.Host}/helped/filter:v1";
        var module = TestWasmModule.Create(seed: 37);
        await AddAsync(cli, reference, module);

        Assert.Equal(ExitCodes.AuthFailure, await cli.RunAsync("push", reference));
        Assert.Contains("not on PATH", cli.Error.Output, StringComparison.Ordinal);
        cli.WithEnvironment("PATH", bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference));

        Assert.Contains($"get {registry.Host}", await File.ReadAllTextAsync(calls), StringComparison.Ordinal);
        var store = new LocalImageStore(cli.Store);
        Assert.Equal(module, await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(reference))));
    }

    [Fact]
    public async Task A_plain_http_registry_on_a_remote_address_needs_plain_http()
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous, LocalAddresses.NonLoopbackIPv4(), tls: false);
        using var cli = new ImageCli();
        var reference = $"{registry.Host}/plain/filter:v1";
        await AddAsync(cli, reference, TestWasmModule.Create(seed: 38));

        // Not loopback, so wasme speaks TLS unless told otherwise; the error names the flag.
        Assert.Equal(ExitCodes.NetworkFailure, await cli.RunAsync("push", reference));
        Assert.Contains("--plain-http", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "--plain-http"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference, "--plain-http"));
    }

    [Fact]
    public async Task A_tls_registry_with_an_untrusted_certificate_needs_insecure()
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous, LocalAddresses.NonLoopbackIPv4(), tls: true);
        using var cli = new ImageCli();
        var reference = $"{registry.Host}/tls/filter:v1";
        var module = TestWasmModule.Create(seed: 39);
        await AddAsync(cli, reference, module);

        Assert.Equal(ExitCodes.NetworkFailure, await cli.RunAsync("push", reference));
        Assert.Contains("--insecure", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", reference, "--insecure"));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("rmi", reference));
        Assert.Equal(ExitCodes.NetworkFailure, await cli.RunAsync("pull", reference));
        Assert.Equal(ExitCodes.Success, await cli.RunAsync("pull", reference, "--insecure"));
        var store = new LocalImageStore(cli.Store);
        Assert.Equal(module, await store.ReadModuleAsync(await store.GetAsync(ImageReference.Parse(reference))));
    }
}
