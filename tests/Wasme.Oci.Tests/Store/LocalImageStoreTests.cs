using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

public sealed class LocalImageStoreTests : IDisposable
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Adds_an_image_as_an_oci_layout_with_the_full_reference_as_ref_name()
    {
        var module = TestWasmModule.Create();
        var reference = ImageReference.Parse("example.com/team/filter:v1");

        var image = await _store.Store.AddAsync(reference, module, Config);

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", await File.ReadAllTextAsync(Path.Combine(_store.Root, "oci-layout")));
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_store.Root, "index.json")));
        var entry = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal("example.com/team/filter:v1", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        Assert.Equal(image.ManifestDigest.ToString(), entry.GetProperty("digest").GetString());
        Assert.Equal(Digest.Compute(module), image.ModuleDigest);
        Assert.Equal(module, await _store.Store.ReadModuleAsync(image));
    }

    [Fact]
    public async Task Finds_by_tag_and_by_digest_and_reports_facts()
    {
        var reference = ImageReference.Parse("example.com/team/filter:v1");
        var added = await _store.Store.AddAsync(reference, TestWasmModule.Create(), Config, WasmImageFormat.Compat);

        var byTag = await _store.Store.GetAsync(reference);
        var byDigest = await _store.Store.GetAsync(ImageReference.Parse($"example.com/team/filter@{added.ManifestDigest}"));

        Assert.Equal(added.ManifestDigest, byTag.ManifestDigest);
        Assert.Equal(added.ManifestDigest, byDigest.ManifestDigest);
        Assert.Equal(ImageLayout.CompatOci, byTag.Layout);
        Assert.Equal(["add_header"], byTag.RootIds);
        Assert.Equal(["v0.2.1"], byTag.AbiVersions);
    }

    [Fact]
    public async Task A_missing_image_is_not_found_with_a_hint()
    {
        var error = await Assert.ThrowsAsync<OciNotFoundException>(() => _store.Store.GetAsync(ImageReference.Parse("example.com/none:v1")));

        Assert.Contains("wasme list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_shares_the_manifest_and_remove_keeps_blobs_still_referenced()
    {
        var source = ImageReference.Parse("example.com/team/filter:v1");
        var target = ImageReference.Parse("other.example.com/filter:prod");
        var image = await _store.Store.AddAsync(source, TestWasmModule.Create(), Config);

        var tagged = await _store.Store.TagAsync(source, target);
        await _store.Store.RemoveAsync(source);

        Assert.Equal(image.ManifestDigest, tagged.ManifestDigest);
        Assert.Null(await _store.Store.FindAsync(source));
        var remaining = await _store.Store.GetAsync(target);
        Assert.Equal(TestWasmModule.Create(), await _store.Store.ReadModuleAsync(remaining));
    }

    [Fact]
    public async Task Finds_every_tag_of_a_manifest_from_the_index_alone()
    {
        var source = ImageReference.Parse("example.com/team/filter:v1");
        var image = await _store.Store.AddAsync(source, TestWasmModule.Create(), Config);
        await _store.Store.TagAsync(source, ImageReference.Parse("example.com/other/filter:prod"));
        await _store.Store.AddAsync(ImageReference.Parse("example.com/team/unrelated:v1"), TestWasmModule.Create(), RuntimeConfig.Create(["v0.2.1"], ["other"]));
        // push asks this of every image: it must not open manifests or blobs, so a missing one does not matter.
        File.Delete(Path.Combine(_store.Root, "blobs", "sha256", image.ManifestDigest.Hex));

        var references = await _store.Store.FindReferencesAsync(image.ManifestDigest);

        Assert.Equal(["example.com/other/filter:prod", "example.com/team/filter:v1"], references.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Blobs_an_rmi_did_not_finish_collecting_are_collected_by_the_next_write()
    {
        var kept = ImageReference.Parse("example.com/team/kept:v1");
        var removed = ImageReference.Parse("example.com/team/removed:v1");
        var keptImage = await _store.Store.AddAsync(kept, TestWasmModule.Create(), Config);
        var removedImage = await _store.Store.AddAsync(removed, TestWasmModule.Create(), RuntimeConfig.Create(["v0.2.1"], ["other"]));
        var blobs = Path.Combine(_store.Root, "blobs", "sha256");
        var keptManifest = Path.Combine(blobs, keptImage.ManifestDigest.Hex);
        var keptBytes = await File.ReadAllBytesAsync(keptManifest);

        // A manifest it cannot read stops rmi's collection with the entry gone and the blobs there: what an rmi killed
        // between its index write and its collection leaves too.
        await File.WriteAllTextAsync(keptManifest, "{ not json");
        await _store.Store.RemoveAsync(removed);
        Assert.True(File.Exists(Path.Combine(blobs, removedImage.ManifestDigest.Hex)));
        await File.WriteAllBytesAsync(keptManifest, keptBytes);

        await _store.Store.TagAsync(kept, ImageReference.Parse("example.com/team/kept:prod"));

        Assert.False(File.Exists(Path.Combine(blobs, removedImage.ManifestDigest.Hex)), "the removed image's manifest is still in the store");
        Assert.Equal(3, Directory.EnumerateFiles(blobs).Count());
        Assert.Equal(TestWasmModule.Create(), await _store.Store.ReadModuleAsync(await _store.Store.GetAsync(kept)));
    }

    [Fact]
    public async Task Removing_the_last_tag_deletes_its_blobs()
    {
        var reference = ImageReference.Parse("example.com/team/filter:v1");
        await _store.Store.AddAsync(reference, TestWasmModule.Create(), Config);

        await _store.Store.RemoveAsync(reference);

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_store.Root, "blobs", "sha256")));
        Assert.Empty(await _store.Store.ListAsync());
    }

    [Fact]
    public async Task Lists_images_sorted_by_name_with_their_update_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = new LocalImageStore(_store.Root, time);
        await store.AddAsync(ImageReference.Parse("example.com/b:v1"), TestWasmModule.Create(), Config);
        time.Advance(TimeSpan.FromMinutes(1));
        await store.AddAsync(ImageReference.Parse("example.com/a:v1"), TestWasmModule.Create(seed: 2), Config);

        var images = await new LocalImageStore(_store.Root).ListAsync();

        Assert.Equal(["example.com/a:v1", "example.com/b:v1"], images.Select(i => i.Reference.ToString()));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 5, 5, TimeSpan.Zero), images[0].Updated);
    }

    [Fact]
    public async Task A_corrupted_blob_is_detected_on_read()
    {
        var image = await _store.Store.AddAsync(ImageReference.Parse("example.com/a:v1"), TestWasmModule.Create(), Config);
        var layer = _store.Store.BlobPath(image.Manifest.Layers[1].GetDigest());
        var bytes = await File.ReadAllBytesAsync(layer);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(layer, bytes);

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => _store.Store.ReadModuleAsync(image));

        Assert.Contains("store is corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_adds_from_many_writers_lose_no_entries()
    {
        var tasks = Enumerable.Range(0, 16).Select(i =>
            new LocalImageStore(_store.Root).AddAsync(ImageReference.Parse($"example.com/f{i}:v1"), TestWasmModule.Create(seed: (byte)i), Config));

        await Task.WhenAll(tasks);

        Assert.Equal(16, (await _store.Store.ListAsync()).Count);
    }

    [Fact]
    public void The_store_root_comes_from_the_flag_then_WASME_STORE_then_home()
    {
        var env = new Dictionary<string, string?> { ["HOME"] = "/home/u", ["WASME_STORE"] = "/srv/store" };

        Assert.Equal("/flag", LocalImageStore.ResolveRoot("/flag", k => env.GetValueOrDefault(k)));
        Assert.Equal("/srv/store", LocalImageStore.ResolveRoot(null, k => env.GetValueOrDefault(k)));
        env.Remove("WASME_STORE");
        Assert.Equal("/home/u/.wasme/store", LocalImageStore.ResolveRoot(null, k => env.GetValueOrDefault(k)));
    }
}
