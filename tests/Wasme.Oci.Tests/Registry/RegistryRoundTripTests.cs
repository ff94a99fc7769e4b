using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

public sealed class RegistryRoundTripTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    private static RegistryClient NewClient(RegistryClientOptions? options = null) =>
        new(options ?? new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

    [Theory]
    [InlineData(WasmImageFormat.Wasme, ImageLayout.Wasme)]
    [InlineData(WasmImageFormat.Compat, ImageLayout.CompatOci)]
    public async Task Push_then_remove_then_pull_gives_the_same_module_bytes(WasmImageFormat format, ImageLayout expectedLayout)
    {
        using var store = new TestStore();
        var module = TestWasmModule.Create(4096, seed: (byte)format);
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/roundtrip/{format.ToString().ToLowerInvariant()}:v1");
        var stored = await store.Store.AddAsync(reference, module, Config, format);
        using var client = NewClient();

        var pushed = await new ImagePusher(client).PushAsync(store.Store, stored, reference);
        await store.Store.RemoveAsync(reference);
        Assert.Null(await store.Store.FindAsync(reference));
        var pulled = await new ImagePuller(client).PullAsync(reference, store.Store);

        Assert.Equal(stored.ManifestDigest, pushed.ManifestDigest);
        Assert.Equal(pushed.ManifestDigest, pulled.ManifestDigest);
        Assert.Equal(expectedLayout, pulled.Layout);
        Assert.Equal(module, await store.Store.ReadModuleAsync(pulled));
        Assert.Equal(Digest.Compute(module), pulled.ModuleDigest);
        Assert.Equal(["v0.2.1"], pulled.AbiVersions);
        Assert.Equal(["add_header"], pulled.RootIds);
    }

    [Fact]
    public async Task Pull_by_digest_is_pinned_and_resolve_returns_the_pushed_digest()
    {
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/pinned/filter:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(), Config);
        using var client = NewClient();
        var pushed = await new ImagePusher(client).PushAsync(store.Store, stored, reference);

        var resolved = await client.ResolveAsync(reference);
        using var other = new TestStore();
        var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{reference.Name}@{pushed.ManifestDigest}"), other.Store);

        Assert.Equal(pushed.ManifestDigest.ToString(), resolved.Digest);
        Assert.Equal(pushed.ManifestDigest, pulled.ManifestDigest);
        Assert.Null(pulled.Reference.Tag);
    }

    [Fact]
    public async Task Pushing_again_skips_blobs_the_registry_already_has()
    {
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/again/filter:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(2048), Config);
        using var client = NewClient();
        var pusher = new ImagePusher(client);

        var first = await pusher.PushAsync(store.Store, stored, reference);
        var second = await pusher.PushAsync(store.Store, stored, reference.WithTag("v2"));

        Assert.All(first.Blobs.Values, r => Assert.Equal(BlobPushResult.Uploaded, r));
        Assert.All(second.Blobs.Values, r => Assert.Equal(BlobPushResult.Skipped, r));
    }

    [Fact]
    public async Task Pushing_to_another_repository_of_the_same_registry_mounts_the_blobs()
    {
        using var store = new TestStore();
        var source = ImageReference.Parse($"{fixture.Registry.Host}/mount/source:v1");
        var target = ImageReference.Parse($"{fixture.Registry.Host}/mount/target:v1");
        var stored = await store.Store.AddAsync(source, TestWasmModule.Create(2048, seed: 9), Config);
        using var client = NewClient();
        var pusher = new ImagePusher(client);
        await pusher.PushAsync(store.Store, stored, source);

        var mounted = await pusher.PushAsync(store.Store, stored, target, mountFrom: source.Repository);
        using var other = new TestStore();
        var pulled = await new ImagePuller(client).PullAsync(target, other.Store);

        Assert.All(mounted.Blobs.Values, r => Assert.Equal(BlobPushResult.Mounted, r));
        Assert.Equal(stored.ModuleDigest, pulled.ModuleDigest);
    }

    [Fact]
    public async Task Chunked_upload_stores_a_module_larger_than_the_chunk_size_intact()
    {
        using var store = new TestStore();
        var module = TestWasmModule.Create(300_000, seed: 3);
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/chunked/filter:v1");
        var stored = await store.Store.AddAsync(reference, module, Config);
        using var client = NewClient(new RegistryClientOptions { UploadChunkSize = 64 * 1024 });

        await new ImagePusher(client).PushAsync(store.Store, stored, reference);
        using var other = new TestStore();
        var pulled = await new ImagePuller(client).PullAsync(reference, other.Store);

        Assert.Equal(module, await other.Store.ReadModuleAsync(pulled));
    }

    [Fact]
    public async Task Tags_and_catalog_list_what_was_pushed()
    {
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/listing/filter:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(), Config);
        using var client = NewClient();
        var pusher = new ImagePusher(client);
        await pusher.PushAsync(store.Store, stored, reference);
        await pusher.PushAsync(store.Store, stored, reference.WithTag("v2"));

        var tags = await client.ListTagsAsync(reference.Registry, reference.Repository);
        var repositories = await client.ListRepositoriesAsync(reference.Registry);

        Assert.Equal(["v1", "v2"], tags.Order());
        Assert.Contains("listing/filter", repositories);
    }

    [Fact]
    public async Task Pulling_a_missing_tag_is_not_found_and_stores_nothing()
    {
        using var store = new TestStore();
        using var client = NewClient();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/missing/filter:nope");

        var error = await Assert.ThrowsAsync<Errors.OciNotFoundException>(() => new ImagePuller(client).PullAsync(reference, store.Store));

        Assert.Contains("was not found", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task An_unreachable_registry_is_a_network_error_after_retries()
    {
        var port = System.Net.Sockets.TcpListener.Create(0);
        port.Start();
        var address = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        using var client = NewClient(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero, MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<Errors.OciNetworkException>(() => client.ResolveAsync(ImageReference.Parse($"127.0.0.1:{address}/x/y:v1")));

        Assert.Contains("Cannot reach registry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retry_after_a_refused_connection_names_the_url_it_retries()
    {
        var port = System.Net.Sockets.TcpListener.Create(0);
        port.Start();
        var address = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<RegistryClient>();
        using var client = new RegistryClient(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero, MaxRetries = 1 }, AnonymousCredentialProvider.Instance, logger);

        await Assert.ThrowsAsync<Errors.OciNetworkException>(() => client.ResolveAsync(ImageReference.Parse($"127.0.0.1:{address}/x/y:v1")));

        // No response means no request message on the outcome: the warning used to say "GET request failed".
        var retry = Assert.Single(logger.Collector.GetSnapshot(), r => r.Message.Contains("retry 1 of 1", StringComparison.Ordinal));
        Assert.Contains($"http://127.0.0.1:{address}/v2/", retry.Message, StringComparison.Ordinal);
    }
}
